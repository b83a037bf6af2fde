// What both the container's init and `exec`'d processes do to become the configured process:
// parent half (rlimits, oom score: they need privileges the child may no longer have) and
// child half (user, capabilities, no_new_privs, seccomp, exec).
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "runtime/process/capabilities.hpp"
#include "runtime/process/process_attrs.hpp"
#include "runtime/seccomp/seccomp.hpp"
#include "runtime/spec/spec.hpp"

namespace berth::runtime {

// Resolved in the parent before any process exists, so bad input fails early.
struct ProcessPlan {
  const Process* process = nullptr;
  std::optional<CapSets> caps;
  std::optional<SeccompFilter> seccomp;
  ProcessAttrs attrs;
  std::vector<std::string> warnings;  // dropped capabilities, clamped rlimits
};

Result<ProcessPlan> plan_process(const Process& p, const nlohmann::json& seccomp, const Linux& lx,
                                 const std::string& seccomp_cache_dir = {});

// Parent half, on the child's pid.
Result<> apply_rlimits(pid_t pid, const std::vector<Rlimit>& rlimits, std::vector<std::string>* warnings);
Result<> apply_oom_score(pid_t pid, std::optional<int> adj);

// Child half. Before: cwd exists. Runs seccomp before dropping capabilities when
// no_new_privs is off (loading needs CAP_SYS_ADMIN then); otherwise the caller loads it last.
Result<> become_user(const ProcessPlan& plan, bool in_new_userns);
// The binary execve will run: args[0] searched in the process's PATH inside the container.
Result<std::string> resolve_executable(const Process& p);
// The environment with HOME added from /etc/passwd when missing (as runc does).
std::vector<std::string> exec_env(const Process& p);

}  // namespace berth::runtime
