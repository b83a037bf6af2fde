// The seam between berth and the OCI runtime a container runs on: berth's own runtime library,
// called in-process (no exec per container), or an external runtime with runc's command line
// (daemon.json "runtimes"), driven through its CLI. The shim creates, starts and deletes
// through it; berthd's container service kills and cleans up through the same one, chosen by
// what the container's start recorded (runtime.json in its shim state dir).
#pragma once
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "runtime/container.hpp"

namespace berth::engine {

inline constexpr const char* kBuiltinRuntime = "berth";

struct RuntimeChoice {
  std::string name = kBuiltinRuntime;
  std::string path;  // empty: berth's runtime library, in-process
  std::vector<std::string> args;  // runtimeArgs, before the verb
  std::string root;  // the runtime's state root (--root)
  std::string seccomp_cache;  // in-process only

  bool external() const { return !path.empty(); }
};

nlohmann::json runtime_choice_json(const RuntimeChoice& r);
Result<RuntimeChoice> runtime_choice_from_json(const nlohmann::json& j);

class RuntimeDriver {
 public:
  virtual ~RuntimeDriver() = default;
  // Creates the container with the caller's fds 0-2 as its stdio. The caller is a child
  // subreaper: the init comes back as its child, to wait for on the pidfd. work_dir holds
  // the runtime's pid file and log.
  virtual Result<runtime::Created> create(const std::string& id, const std::string& bundle,
                                          const std::string& work_dir) = 0;
  virtual Result<> start(const std::string& id) = 0;
  // Starts an OCI process (process: config.json's "process" object) in the running container,
  // with the caller's fds 0-2 as its stdio (with process.terminal, the pty master comes back in
  // Created::console instead). The process is the caller's child, not waited for.
  virtual Result<runtime::Created> exec(const std::string& id, const nlohmann::json& process,
                                        const std::string& work_dir) = 0;
  virtual Result<> kill(const std::string& id, int sig) = 0;
  // `docker update`: writes the given linux.resources fields to the running container's cgroup
  // (runc's `update --resources`); work_dir holds the resources file an external one reads.
  virtual Result<> update(const std::string& id, const nlohmann::json& resources, const std::string& work_dir) = 0;
  virtual Result<> remove(const std::string& id, bool force) = 0;
};

std::unique_ptr<RuntimeDriver> make_runtime_driver(const RuntimeChoice& r);

}  // namespace berth::engine
