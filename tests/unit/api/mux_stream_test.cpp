// The 8-byte multiplexed stdio frames that attach, exec and logs use without a TTY.
#include <gtest/gtest.h>

#include "api/mux_stream.hpp"

using namespace berth::api;

TEST(MuxStream, HeaderLayout) {
  auto f = mux_frame(StdStream::Stderr, "hello");
  ASSERT_EQ(f.size(), 13u);
  EXPECT_EQ(f[0], 2);
  EXPECT_EQ(f[1], 0);
  EXPECT_EQ(f[2], 0);
  EXPECT_EQ(f[3], 0);
  EXPECT_EQ(static_cast<unsigned char>(f[7]), 5);
  EXPECT_EQ(f.substr(8), "hello");
  std::string big(70000, 'x');
  auto g = mux_frame(StdStream::Stdout, big);
  EXPECT_EQ(static_cast<unsigned char>(g[5]), 1);  // 70000 = 0x011170
  EXPECT_EQ(static_cast<unsigned char>(g[6]), 0x11);
  EXPECT_EQ(static_cast<unsigned char>(g[7]), 0x70);
}

TEST(MuxStream, DecoderReassemblesSplitInput) {
  std::string wire = mux_frame(StdStream::Stdout, "one") + mux_frame(StdStream::Stderr, "") +
                     mux_frame(StdStream::Stderr, "two and more");
  MuxDecoder d;
  std::vector<MuxChunk> all;
  for (char c : wire) {  // one byte at a time: the worst split
    auto got = d.feed(std::string_view(&c, 1));
    ASSERT_TRUE(got);
    all.insert(all.end(), got->begin(), got->end());
  }
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].stream, StdStream::Stdout);
  EXPECT_EQ(all[0].data, "one");
  EXPECT_EQ(all[1].data, "");
  EXPECT_EQ(all[2].stream, StdStream::Stderr);
  EXPECT_EQ(all[2].data, "two and more");
  EXPECT_TRUE(d.idle());
}

TEST(MuxStream, PartialFrameIsHeld) {
  MuxDecoder d;
  auto f = mux_frame(StdStream::Stdout, "abcdef");
  auto got = d.feed(f.substr(0, 10));
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->empty());
  EXPECT_FALSE(d.idle());
  got = d.feed(f.substr(10));
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].data, "abcdef");
}

TEST(MuxStream, RawTextIsRejected) {
  MuxDecoder d;
  auto got = d.feed("HTTP/1.1 200 OK\r\n");
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().message.find("bad frame header"), std::string::npos);
}
