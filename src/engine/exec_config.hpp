// An exec as the Engine API creates it (POST /containers/{id}/exec: dockerd's ExecConfig), and the
// OCI process it becomes: the container's own process (config.json) with the exec's command,
// env added, user, working dir, terminal and, when privileged, every capability.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "engine/user_lookup.hpp"

namespace berth::engine {

struct ExecConfig {
  std::vector<std::string> cmd, env;
  std::string user, working_dir, detach_keys;
  bool tty = false, privileged = false;
  bool attach_stdin = false, attach_stdout = false, attach_stderr = false;
  uint32_t rows = 0, cols = 0;  // ConsoleSize; 0: unset
};

// The create body. Errors: Invalid in dockerd's words ("No exec command specified").
Result<ExecConfig> parse_exec_config(const nlohmann::json& body);

// base: config.json's "process". user: the exec's user resolved, or nullopt to keep base's.
Result<nlohmann::json> exec_process(const nlohmann::json& base, const ExecConfig& c,
                                    const std::optional<ResolvedUser>& user);

}  // namespace berth::engine
