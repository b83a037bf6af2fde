// Seccomp profiles in Docker's format (the one `--security-opt seccomp=<file>` takes, and that
// data/seccomp/default.json uses): "archMap" and per-rule "includes"/"excludes" (arches, caps,
// minKernel) that dockerd resolves for each container into the OCI linux.seccomp it runs with.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace berth::engine {

// berth's default profile (data/seccomp/default.json, embedded at build time).
const nlohmann::json& default_seccomp_profile();

// What a profile is resolved for.
struct SeccompTarget {
  std::string arch;               // Go's GOARCH name: amd64, arm64, s390x, ppc64le, riscv64...
  std::vector<std::string> caps;  // the container's bounding capabilities ("CAP_SYS_ADMIN")
  std::string kernel;             // "6.1.0-13-amd64"; empty: minKernel rules are kept
};

std::string native_go_arch();
std::string host_kernel_release();

// Docker's profile -> OCI linux.seccomp for the target: rules whose includes do not hold or
// whose excludes do are dropped, archMap picks the target's architectures. Errors (Invalid)
// say what is wrong with the profile, as dockerd does.
Result<nlohmann::json> resolve_seccomp_profile(const nlohmann::json& profile, const SeccompTarget& t);

// --security-opt seccomp=<text>: the profile the docker client sent (the file's content).
// Errors: dockerd's "Decoding seccomp profile failed: ...".
Result<nlohmann::json> parse_seccomp_profile(const std::string& text);

}  // namespace berth::engine
