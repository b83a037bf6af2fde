// Health checks: the Healthcheck config (merge with the image's, parsing, dockerd's defaults) and
// the state machine (start period, retries, the log of the last 5 probes).
#include <gtest/gtest.h>

#include "engine/health.hpp"

using namespace berth::engine;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

HealthConfig cfg(int retries) {
  HealthConfig c;
  c.argv = {"true"};
  c.retries = retries;
  return c;
}

HealthProbe probe(int code) { return HealthProbe{"s", "e", code, "out"}; }

}  // namespace

TEST(HealthConfigParse, CmdShellRunsThroughTheShell) {
  auto c = health_config(json{{"Test", {"CMD-SHELL", "exit 1"}}, {"Interval", 2'000'000'000LL}, {"Retries", 2}});
  ASSERT_TRUE(c && *c);
  EXPECT_EQ((*c)->argv, (std::vector<std::string>{"/bin/sh", "-c", "exit 1"}));
  EXPECT_EQ((*c)->interval, 2000ms);
  EXPECT_EQ((*c)->timeout, 30000ms);  // dockerd's default
  EXPECT_EQ((*c)->retries, 2);
}

TEST(HealthConfigParse, CmdIsAnArgvAndNoneDisables) {
  auto c = health_config(json{{"Test", {"CMD", "cat", "/x"}}});
  ASSERT_TRUE(c && *c);
  EXPECT_EQ((*c)->argv, (std::vector<std::string>{"cat", "/x"}));
  EXPECT_EQ((*c)->retries, 3);
  auto none = health_config(json{{"Test", {"NONE"}}});
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  auto absent = health_config(json());
  ASSERT_TRUE(absent);
  EXPECT_FALSE(*absent);
}

TEST(HealthConfigParse, BadShapesAreRefused) {
  EXPECT_FALSE(health_config(json{{"Test", {"SHELL", "x"}}}));
  EXPECT_FALSE(health_config(json{{"Test", {"CMD"}}}));
  EXPECT_FALSE(health_config(json{{"Test", {"CMD", "x"}}, {"Timeout", -1}}));
  EXPECT_FALSE(health_config(json{{"Test", {"CMD", "x"}}, {"Retries", -2}}));
}

TEST(HealthConfigMerge, ContainerOverImageFieldByField) {
  json image = {{"Test", {"CMD-SHELL", "img"}}, {"Interval", 5}, {"Retries", 7}};
  json mine = {{"Interval", 9}};
  auto m = merge_healthcheck(mine, image);
  EXPECT_EQ(m["Test"], (json{"CMD-SHELL", "img"}));
  EXPECT_EQ(m["Interval"], 9);
  EXPECT_EQ(m["Retries"], 7);
  EXPECT_EQ(merge_healthcheck(json(), image), image);
  EXPECT_TRUE(merge_healthcheck(json(), json()).is_null());
  EXPECT_EQ(merge_healthcheck(json{{"Test", {"NONE"}}}, image)["Test"], json{"NONE"});
}

TEST(HealthState, TurnsUnhealthyAfterTheRetries) {
  HealthState s;
  auto c = cfg(3);
  EXPECT_FALSE(record_probe(s, c, probe(1), false));
  EXPECT_FALSE(record_probe(s, c, probe(1), false));
  EXPECT_EQ(s.status, "starting");
  EXPECT_TRUE(record_probe(s, c, probe(1), false));
  EXPECT_EQ(s.status, "unhealthy");
  EXPECT_EQ(s.failing_streak, 3);
  EXPECT_TRUE(record_probe(s, c, probe(0), false));
  EXPECT_EQ(s.status, "healthy");
  EXPECT_EQ(s.failing_streak, 0);
}

TEST(HealthState, StartPeriodFailuresDoNotCountUntilHealthy) {
  HealthState s;
  auto c = cfg(1);
  EXPECT_FALSE(record_probe(s, c, probe(1), true));
  EXPECT_EQ(s.status, "starting");
  EXPECT_EQ(s.failing_streak, 0);
  EXPECT_TRUE(record_probe(s, c, probe(0), true));
  // Once healthy the start period no longer protects it.
  EXPECT_TRUE(record_probe(s, c, probe(-1), true));
  EXPECT_EQ(s.status, "unhealthy");
}

TEST(HealthState, KeepsTheLastFiveProbes) {
  HealthState s;
  auto c = cfg(100);
  for (int i = 0; i < 8; ++i) record_probe(s, c, probe(i), false);
  ASSERT_EQ(s.log.size(), 5u);
  EXPECT_EQ(s.log.front().exit_code, 3);
  EXPECT_EQ(s.log.back().exit_code, 7);
  auto j = health_json(s);
  EXPECT_EQ(j["Log"].size(), 5u);
  EXPECT_EQ(j["FailingStreak"], 7);
  EXPECT_EQ(health_status_text(HealthState{}), "health: starting");
}

TEST(HealthState, GoDurationText) {
  EXPECT_EQ(go_duration(30000ms), "30s");
  EXPECT_EQ(go_duration(1500ms), "1.5s");
  EXPECT_EQ(go_duration(500ms), "500ms");
  EXPECT_EQ(go_duration(90000ms), "1m30s");
  EXPECT_EQ(go_duration(3600000ms), "1h0m0s");
}
