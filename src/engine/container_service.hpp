// Containers: create (root filesystem, OCI bundle, DB row), start (a berth-shim per container),
// stop/kill/wait/remove, and the exit of each container as its shim reports it. berthd may
// die at any time: restore() finds every shim again and learns the exits it missed.
#pragma once
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "common/fd.hpp"
#include "engine/container_store.hpp"
#include "engine/daemon_config.hpp"
#include "engine/events.hpp"
#include "image/image_service.hpp"

namespace berth::engine {

enum class WaitCondition { NotRunning, NextExit, Removed };

// An attach that came before the start (docker run attaches, then starts): the next start
// connects it to the new shim, subscribed before the shim reads any output, and signals ready.
struct AttachWaiter {
  UniqueFd ready;  // eventfd, readable once shim or error is set
  std::mutex mu;
  UniqueFd shim;
  std::string error;
};

// An attach's way to the shim: connected now (running), or through the next start.
struct AttachTarget {
  UniqueFd shim;
  std::shared_ptr<AttachWaiter> waiter;
};

struct CreateResult {
  std::string id;
  std::vector<std::string> warnings;
};

struct WaitResult {
  int exit_code = 0;
  std::string error;
};

class ContainerService {
 public:
  ContainerService(const DaemonConfig& config, image::ImageService& images, ContainerStore& store, EventBus& events);
  ~ContainerService();

  // Reconciles the DB with the shims that ran while berthd was down; starts the exit monitor.
  Result<> restore();

  // body: the Engine API create body (Config fields at the top level, HostConfig inside).
  Result<CreateResult> create(const nlohmann::json& body, const std::string& name);
  Result<> start(std::string_view ref);
  // timeout < 0: the container's StopTimeout (default 10 s).
  Result<> stop(std::string_view ref, std::optional<int> timeout, const std::string& signal);
  Result<> kill(std::string_view ref, const std::string& signal);
  Result<> restart(std::string_view ref, std::optional<int> timeout);
  Result<> remove(std::string_view ref, bool force);
  // Blocks until the condition holds. next-exit counts exits after exits_before (from
  // exit_count(), taken before the caller told its client the wait is registered).
  Result<WaitResult> wait(std::string_view ref, WaitCondition cond, std::optional<int> exits_before = {});
  int exit_count(const std::string& id);

  // The attach socket of the container's shim, subscribed to its live output when running;
  // otherwise a waiter served by the next start. cancel_attach() withdraws a waiter.
  Result<AttachTarget> attach(std::string_view ref);
  void cancel_attach(const std::string& id, const std::shared_ptr<AttachWaiter>& w);
  // The container's terminal size (TIOCSWINSZ through the shim); 409 when it is not running.
  Result<> resize(std::string_view ref, uint32_t rows, uint32_t cols);

  Result<ContainerRecord> find(std::string_view ref) const { return store_.find(ref); }
  std::string container_dir(const std::string& id) const;
  std::string log_path(const std::string& id) const;

 private:
  struct Watched {
    UniqueFd pidfd;  // the shim's
  };
  std::string state_dir(const std::string& id) const;
  std::string bundle_dir(const std::string& id) const;
  Result<> start_locked(ContainerRecord& c);
  // A connection to the shim in sdir, subscribed to its output.
  Result<UniqueFd> connect_attached(const std::string& sdir);
  void watch(const std::string& id, pid_t shim_pid);
  void monitor_loop();
  // The shim has exited: record how the container ended.
  void on_exit(const std::string& id);
  Result<> remove_locked(const ContainerRecord& c);
  void event(const ContainerRecord& c, const std::string& action, std::map<std::string, std::string> extra = {});
  Result<> signal_container(const ContainerRecord& c, int sig);
  // Waits (bounded) until the container is no longer running; true when it stopped.
  bool wait_stopped(std::unique_lock<std::mutex>& lk, const std::string& id, std::chrono::milliseconds timeout);

  const DaemonConfig& config_;
  image::ImageService& images_;
  ContainerStore& store_;
  EventBus& events_;
  std::string shim_path_, runtime_root_, seccomp_cache_;

  std::mutex mu_;  // container state transitions
  std::condition_variable changed_;
  std::map<std::string, int> exits_;           // id -> number of exits seen
  std::map<std::string, WaitResult> removed_;  // recently removed containers' last exit
  std::map<std::string, bool> autoremove_;
  std::map<std::string, std::vector<std::shared_ptr<AttachWaiter>>> attach_waiters_;  // under mu_

  std::mutex watch_mu_;
  std::map<int, std::string> watched_;  // shim pidfd -> id
  std::map<std::string, UniqueFd> pidfds_;
  std::vector<std::string> gone_;  // shims that exited before they could be watched
  UniqueFd epoll_, wake_;
  std::thread monitor_;
  bool stopping_ = false;
};

}  // namespace berth::engine
