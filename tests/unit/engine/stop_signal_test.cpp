#include "engine/stop_signal.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

using namespace berth::engine;

TEST(StopSignal, NamesNumbersAndDockerdsError) {
  EXPECT_EQ(*parse_api_signal("KILL"), SIGKILL);
  EXPECT_EQ(*parse_api_signal("SIGUSR1"), SIGUSR1);
  EXPECT_EQ(*parse_api_signal("sigterm"), SIGTERM);
  EXPECT_EQ(*parse_api_signal("15"), SIGTERM);
  for (auto* bad : {"FOO", "SIGFOO", "0", "-1", "", "1000"}) {
    auto r = parse_api_signal(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().message, std::string("Invalid signal: ") + bad);
    EXPECT_EQ(r.error().http_status(), 400);
  }
}

TEST(StopSignal, ContainerDefaults) {
  using nlohmann::json;
  EXPECT_EQ(*container_stop_signal(json::object()), SIGTERM);
  EXPECT_EQ(*container_stop_signal(json{{"StopSignal", "SIGUSR1"}}), SIGUSR1);
  EXPECT_EQ(*container_stop_signal(json{{"StopSignal", ""}}), SIGTERM);
  EXPECT_FALSE(container_stop_signal(json{{"StopSignal", "NOPE"}}));
  EXPECT_EQ(container_stop_timeout(json::object()), 10);
  EXPECT_EQ(container_stop_timeout(json{{"StopTimeout", 2}}), 2);
  EXPECT_EQ(container_stop_timeout(json{{"StopTimeout", -1}}), -1);
  EXPECT_EQ(container_stop_timeout(json{{"StopTimeout", nullptr}}), 10);
}
