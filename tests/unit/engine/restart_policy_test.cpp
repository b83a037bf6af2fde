#include "engine/restart_policy.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

using namespace berth::engine;
using nlohmann::json;
using std::chrono::milliseconds;

namespace {

RestartPolicy policy(const std::string& name, int max = 0) { return RestartPolicy{name, max}; }
ExitFacts exited(int code, milliseconds ran = milliseconds(50), bool manual = false) { return {code, manual, ran}; }

std::string policy_error_of(const json& j) {
  auto r = parse_restart_policy(j);
  return r ? "" : r.error().message;
}

}  // namespace

TEST(RestartPolicyParse, DockerdMessages) {
  EXPECT_EQ(policy_error_of({{"Name", "on-failure"}, {"MaximumRetryCount", -2}}), "maximum retry count cannot be negative");
  EXPECT_EQ(policy_error_of({{"Name", "always"}, {"MaximumRetryCount", 3}}),
            "maximum retry count cannot be used with restart policy 'always'");
  EXPECT_EQ(policy_error_of({{"Name", "no"}, {"MaximumRetryCount", -1}}),
            "maximum retry count cannot be used with restart policy 'no'");
  EXPECT_EQ(policy_error_of({{"Name", "sometimes"}}), "invalid restart policy 'sometimes'");
  EXPECT_EQ(policy_error_of({{"Name", 3}}).substr(0, 22), "json: cannot unmarshal");
  EXPECT_EQ(policy_error_of({{"Name", "on-failure"}, {"MaximumRetryCount", "3"}}).substr(0, 22), "json: cannot unmarshal");
}

TEST(RestartPolicyParse, DefaultsAndValidPolicies) {
  EXPECT_EQ(parse_restart_policy(json())->name, "no");
  EXPECT_EQ(parse_restart_policy(json{{"Name", ""}})->name, "no");
  auto p = parse_restart_policy(json{{"Name", "on-failure"}, {"MaximumRetryCount", 3}});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->max_retry, 3);
  EXPECT_EQ(restart_policy_json(*p), (json{{"Name", "on-failure"}, {"MaximumRetryCount", 3}}));
  for (auto* n : {"always", "unless-stopped", "no"}) EXPECT_TRUE(parse_restart_policy(json{{"Name", n}})) << n;
}

TEST(RestartPolicyParse, AutoRemoveWithAPolicyIsRefusedFirst) {
  auto r = restart_policy_for_create(json{{"AutoRemove", true}, {"RestartPolicy", {{"Name", "always"}}}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "can't create 'AutoRemove' container with restart policy");
  EXPECT_EQ(r.error().http_status(), 400);
  EXPECT_TRUE(restart_policy_for_create(json{{"AutoRemove", true}, {"RestartPolicy", {{"Name", "no"}}}}));
  EXPECT_TRUE(restart_policy_for_create(json{{"AutoRemove", true}}));
}

TEST(RestartBackoff, OnFailureThreeRestartsWithDoublingDelays) {
  RestartBackoff b;
  auto p = policy("on-failure", 3);
  EXPECT_EQ(b.next(p, exited(1)), milliseconds(100));
  EXPECT_EQ(b.next(p, exited(1)), milliseconds(200));
  EXPECT_EQ(b.next(p, exited(1)), milliseconds(400));
  EXPECT_EQ(b.restart_count(), 3);
  EXPECT_EQ(b.next(p, exited(1)), std::nullopt);  // the fourth exit: the maximum is reached
  EXPECT_EQ(b.restart_count(), 3);
}

TEST(RestartBackoff, OnFailureIgnoresSuccessAndCountsFromTheStoredCount) {
  RestartBackoff b(2);
  EXPECT_EQ(b.next(policy("on-failure", 3), exited(0)), std::nullopt);
  EXPECT_EQ(b.next(policy("on-failure", 3), exited(2)), milliseconds(200));  // the back-off moved on anyway
  EXPECT_EQ(b.next(policy("on-failure", 3), exited(2)), std::nullopt);
  RestartBackoff unlimited(1000);
  EXPECT_TRUE(unlimited.next(policy("on-failure"), exited(1)));
}

TEST(RestartBackoff, ResetAfterTenSecondsUpAndCappedAtAMinute) {
  RestartBackoff b;
  auto p = policy("always");
  milliseconds d{0};
  for (int i = 0; i < 12; ++i) d = *b.next(p, exited(0));
  EXPECT_EQ(d, milliseconds(60000));
  EXPECT_EQ(b.next(p, exited(0, milliseconds(9999))), milliseconds(60000));
  EXPECT_EQ(b.next(p, exited(0, milliseconds(10000))), milliseconds(100));
  EXPECT_EQ(b.next(p, exited(0)), milliseconds(200));
}

TEST(RestartBackoff, PoliciesAndManualStop) {
  RestartBackoff b;
  EXPECT_EQ(b.next(policy("no"), exited(1)), std::nullopt);
  EXPECT_TRUE(b.next(policy("always"), exited(0, milliseconds(1), true)));  // always: even after a stop
  EXPECT_TRUE(b.next(policy("unless-stopped"), exited(0)));
  EXPECT_EQ(b.next(policy("unless-stopped"), exited(0, milliseconds(1), true)), std::nullopt);
}
