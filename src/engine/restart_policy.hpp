// Restart policies (HostConfig.RestartPolicy): dockerd's validation and messages, and its
// decision after each exit (restartmanager's ShouldRestart): whether to start the container
// again and after which back-off (100 ms doubling up to a minute, back to 100 ms after a run
// of 10 s or more). Pure logic: the container service keeps one RestartBackoff per container
// and the timer.
#pragma once
#include <chrono>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "common/error.hpp"

namespace berth::engine {

struct RestartPolicy {
  std::string name = "no";  // no, always, on-failure, unless-stopped ("" is read as no)
  int max_retry = 0;        // on-failure only; 0: no limit

  bool none() const { return name == "no" || name.empty(); }
};

// HostConfig.RestartPolicy as the API sends it (absent or null: "no"). Invalid input gets
// dockerd's message ("invalid restart policy: maximum retry count cannot be negative").
Result<RestartPolicy> parse_restart_policy(const nlohmann::json& j);
// The whole check dockerd makes at create: the policy, then AutoRemove with a policy.
Result<RestartPolicy> restart_policy_for_create(const nlohmann::json& host_config);
nlohmann::json restart_policy_json(const RestartPolicy& p);

// What happened when the container exited.
struct ExitFacts {
  int exit_code = 0;
  bool manually_stopped = false;  // the user stopped or killed it (dockerd's HasBeenManuallyStopped)
  std::chrono::milliseconds ran{0};  // how long it was up
};

// One container's restart state between exits; dockerd keeps the same in memory.
class RestartBackoff {
 public:
  static constexpr std::chrono::milliseconds kInitial{100};
  static constexpr std::chrono::milliseconds kMax{60000};
  static constexpr std::chrono::seconds kResetAfter{10};

  explicit RestartBackoff(int restart_count = 0) : count_(restart_count) {}
  // The delay before the next start, or nullopt when the policy says stop. A restart counts
  // towards on-failure's maximum.
  std::optional<std::chrono::milliseconds> next(const RestartPolicy& p, const ExitFacts& f);
  int restart_count() const { return count_; }

 private:
  int count_;
  std::chrono::milliseconds delay_{0};
};

}  // namespace berth::engine
