#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "image/distribution.hpp"

using namespace berth::image;

TEST(Progress, TextProgressPrintsStatusesAndThrottlesBytes) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  auto p = text_progress(f);
  EXPECT_TRUE(p({"abc", "Pulling fs layer", 0, 1000}));
  for (uint64_t i = 1; i <= 1000; ++i) EXPECT_TRUE(p({"abc", "Downloading", i, 1000}));
  EXPECT_TRUE(p({"abc", "Download complete", 1000, 1000}));
  fclose(f);
  std::string out(buf, len);
  free(buf);
  EXPECT_EQ(out.find("abc: Pulling fs layer\n"), 0u);
  EXPECT_NE(out.find("abc: Download complete\n"), std::string::npos);
  size_t lines = 0;
  for (char c : out) lines += c == '\n';
  EXPECT_LE(lines, 14u) << out;  // about one line per 10%, not one per callback
  EXPECT_NE(out.find("Downloading 0.0MB/0.0MB"), std::string::npos);
}
