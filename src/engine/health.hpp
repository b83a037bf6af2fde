// Health checks as dockerd runs them: the Healthcheck config (the create body's, over the
// image's HEALTHCHECK), and the state it drives (starting -> healthy / unhealthy, the failing
// streak, the last 5 probes), kept pure so that it can be tested without containers.
#pragma once
#include <chrono>
#include <deque>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace berth::engine {

struct HealthConfig {
  std::vector<std::string> argv;  // the probe's command: CMD's args, or /bin/sh -c for CMD-SHELL
  std::chrono::milliseconds interval{30'000}, timeout{30'000}, start_period{0}, start_interval{5'000};
  int retries = 3;
};

// dockerd's merge: the container's Test, else the image's; each duration or Retries left 0 by
// the container is the image's. null when neither has one.
nlohmann::json merge_healthcheck(const nlohmann::json& container, const nlohmann::json& image);
// The probe to run for a merged Healthcheck; nullopt when there is none or it is ["NONE"].
// Bad shapes (negative durations, an unknown test kind) are Invalid errors in dockerd's words.
Result<std::optional<HealthConfig>> health_config(const nlohmann::json& healthcheck);

struct HealthProbe {
  std::string start, end;  // RFC 3339
  int exit_code = 0;
  std::string output;
};

struct HealthState {
  std::string status = "starting";  // starting, healthy, unhealthy
  int failing_streak = 0;
  std::deque<HealthProbe> log;  // the last kHealthLog probes, oldest first
};
inline constexpr size_t kHealthLog = 5;

// Records a probe's result; returns true when the status changed. A failure while still
// starting and inside the start period does not count towards the retries.
bool record_probe(HealthState& s, const HealthConfig& c, HealthProbe p, bool in_start_period);

// State.Health as dockerd prints it.
nlohmann::json health_json(const HealthState& s);
// The suffix of `docker ps`'s Status: "health: starting", "healthy", "unhealthy".
std::string health_status_text(const HealthState& s);
// Go's time.Duration text ("30s", "1.5s", "500ms") for the timeout message.
std::string go_duration(std::chrono::milliseconds d);

}  // namespace berth::engine
