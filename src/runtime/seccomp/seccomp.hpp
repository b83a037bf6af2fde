// linux.seccomp -> a libseccomp filter. Compiled in the parent (so errors come before any
// namespace exists), loaded in the child as the last step before exec.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "common/error.hpp"

namespace berth::runtime {

class SeccompFilter {
 public:
  ~SeccompFilter();
  SeccompFilter(SeccompFilter&&) noexcept;
  SeccompFilter& operator=(SeccompFilter&&) noexcept;
  // Loads the filter into the calling thread. Returns the notify fd when the profile uses
  // SCMP_ACT_NOTIFY, else -1.
  Result<int> load();
  bool uses_notify() const;
  // True when the program came from the compiled-program cache (see compile_seccomp).
  bool from_cache() const;
  const std::string& listener_path() const;
  const std::string& listener_metadata() const;

  struct Impl;
  explicit SeccompFilter(std::unique_ptr<Impl>);

 private:
  std::unique_ptr<Impl> impl_;
};

// Validates and compiles; errors name the field ("linux.seccomp.syscalls[3].action: ...").
// With cache_dir, compiled programs are cached there by their exact inputs (libseccomp version,
// actions, syscall numbers, arguments) in a root-only directory the caller owns (berth-runtime
// uses <--root>/.seccomp-cache): generating the BPF for Docker's default profile takes
// libseccomp ~12 ms per container. Empty: no cache.
Result<SeccompFilter> compile_seccomp(const nlohmann::json& seccomp, const std::string& cache_dir = {});

// The "linux.seccomp" object of `features` (OCI features.md): actions, operators, archs,
// knownFlags and supportedFlags (probed on this kernel).
nlohmann::json seccomp_features();

// Sends the notify fd and the container state to listenerPath (SCM_RIGHTS), as runc does.
// container_process_state is either the full OCI "container process state" ({ociVersion, fds,
// pid, metadata, state}; fds is set to ["seccompFd"]) or just the container state, which is then
// wrapped in one (pid taken from it, no metadata).
Result<> send_seccomp_notify_fd(const std::string& listener_path, int notify_fd,
                                const nlohmann::json& container_process_state);
// Same, wrapping the container state with listenerMetadata (use filter.listener_metadata()).
Result<> send_seccomp_notify_fd(const std::string& listener_path, int notify_fd, const nlohmann::json& state,
                                const std::string& metadata);
// The OCI "container process state" JSON sent to a seccomp agent.
nlohmann::json seccomp_process_state(const nlohmann::json& state, const std::string& metadata);

}  // namespace berth::runtime
