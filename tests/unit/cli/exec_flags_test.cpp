// docker exec/run flag values: --env-file lines and Go durations (--health-*).
#include <gtest/gtest.h>
#include <stdlib.h>

#include "duration.hpp"
#include "env_file.hpp"

using namespace berth::cli;

TEST(EnvFile, LinesCommentsAndInheritedVariables) {
  setenv("BERTH_ENV_FILE_TEST", "from-env", 1);
  unsetenv("BERTH_ENV_FILE_UNSET");
  auto v = parse_env_file("# comment\nA=1\n\n  B=two words\r\nBERTH_ENV_FILE_TEST\nBERTH_ENV_FILE_UNSET\nC=\n");
  EXPECT_EQ(v, (std::vector<std::string>{"A=1", "B=two words", "BERTH_ENV_FILE_TEST=from-env", "C="}));
}

TEST(GoDuration, ParsesWhatDockerAccepts) {
  EXPECT_EQ(parse_go_duration("30s"), 30'000'000'000LL);
  EXPECT_EQ(parse_go_duration("1m30s"), 90'000'000'000LL);
  EXPECT_EQ(parse_go_duration("1.5h"), 5'400'000'000'000LL);
  EXPECT_EQ(parse_go_duration("500ms"), 500'000'000LL);
  EXPECT_EQ(parse_go_duration("0"), 0);
  EXPECT_EQ(parse_go_duration("-1s"), -1'000'000'000LL);
  EXPECT_FALSE(parse_go_duration("10"));
  EXPECT_FALSE(parse_go_duration("1x"));
  EXPECT_FALSE(parse_go_duration(""));
  EXPECT_FALSE(parse_go_duration("s"));
}
