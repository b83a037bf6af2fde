// HostConfig's security fields onto the OCI spec, as dockerd applies them: capabilities
// (CapAdd, CapDrop, Privileged), SecurityOpt (seccomp=<profile>|unconfined,
// no-new-privileges[=bool]; label/apparmor are accepted and have no effect), Docker's masked
// and read-only paths, the device allow-list, ReadonlyRootfs, and --privileged's writable /sys.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace berth::engine {

struct SecurityContext {
  std::vector<std::string> host_caps;  // what the host's bounding set grants
  std::string arch;                    // GOARCH name, for the profile's arch rules
  std::string kernel;                  // release, for its minKernel rules
};
SecurityContext host_security_context();

inline const std::vector<std::string>& docker_masked_paths() {
  static const std::vector<std::string> p = {"/proc/asound",        "/proc/acpi",        "/proc/kcore",
                                             "/proc/keys",          "/proc/latency_stats", "/proc/timer_list",
                                             "/proc/timer_stats",   "/proc/sched_debug", "/proc/scsi",
                                             "/sys/firmware",       "/sys/devices/virtual/powercap"};
  return p;
}
inline const std::vector<std::string>& docker_readonly_paths() {
  static const std::vector<std::string> p = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
  return p;
}

// Parsed HostConfig.SecurityOpt. Errors: dockerd's "invalid --security-opt 1: ..." and the
// profile's decoding error.
struct SecurityOpts {
  bool seccomp_unconfined = false;
  nlohmann::json seccomp_profile;  // null: the default profile
  std::optional<bool> no_new_privileges;
};
Result<SecurityOpts> parse_security_opts(const nlohmann::json& security_opt);

// Edits spec (built by build_oci_spec) for hc. Errors are Invalid, in dockerd's words.
Result<> apply_security(nlohmann::json& spec, const nlohmann::json& hc, const SecurityContext& ctx);

}  // namespace berth::engine
