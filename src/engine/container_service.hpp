// Containers: create (root filesystem, OCI bundle, DB row), start (a berth-shim per container),
// stop/kill/wait/remove, and the exit of each container as its shim reports it. berthd may
// die at any time: restore() finds every shim again and learns the exits it missed.
#pragma once
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "common/fd.hpp"
#include "engine/container_store.hpp"
#include "engine/daemon_config.hpp"
#include "engine/events.hpp"
#include "engine/log_config.hpp"
#include "engine/mount_point.hpp"
#include "engine/network_service.hpp"
#include "engine/restart_policy.hpp"
#include "engine/runtime_driver.hpp"
#include "engine/volume_service.hpp"
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

// What an internal caller (the CRI's pod sandboxes) asks of a create beyond the body.
struct CreateOptions {
  // No image: the root filesystem is an empty directory of the container's own, for a
  // process bind-mounted into it (a pod's pause); Config.Image is only the name it shows.
  bool no_image = false;
  // Its network namespace is made, configured and removed by its owner at
  // NetworkService::netns_path(id); the container joins it, its starts and exits leave it be.
  bool pinned_netns = false;
  // HostConfig.LogConfig may ask for the kubelet's log format (kCriLogDriver): the CRI's
  // containers. The Docker API never sets it, so its callers cannot name the driver.
  bool cri_log = false;
  // Joins this running container's uts namespace, its hostname with it (a pod's containers
  // share their sandbox's). The Engine API has no such mode: dockerd refuses UTSMode container:.
  std::string uts_container;
};

struct PruneResult {
  std::vector<std::string> deleted;
  int64_t reclaimed = 0;
};

struct WaitResult {
  int exit_code = 0;
  std::string error;
};

class ContainerService {
 public:
  ContainerService(const DaemonConfig& config, image::ImageService& images, ContainerStore& store, EventBus& events);
  ~ContainerService();

  // Containers get their networks from here (berthd); without it (engine tests), the runtime
  // gives each one a namespace of its own with only lo.
  void set_networks(NetworkService* n) { networks_ = n; }
  // Volumes for -v name:/dst, --mount type=volume and VOLUME (berthd); without them only
  // binds and tmpfs mounts are possible.
  void set_volumes(VolumeService* v) { volumes_ = v; }

  // Reconciles the DB with the shims that ran while berthd was down; starts the exit monitor.
  Result<> restore();

  // body: the Engine API create body (Config fields at the top level, HostConfig inside).
  Result<CreateResult> create(const nlohmann::json& body, const std::string& name, const CreateOptions& opts = {});
  Result<> start(std::string_view ref);
  // timeout < 0: the container's StopTimeout (default 10 s).
  Result<> stop(std::string_view ref, std::optional<int> timeout, const std::string& signal);
  Result<> kill(std::string_view ref, const std::string& signal);
  Result<> restart(std::string_view ref, std::optional<int> timeout);
  // volumes: also its anonymous volumes (rm -v).
  Result<> remove(std::string_view ref, bool force, bool volumes = false);
  // The freezer, through the runtime library (container_pause.cpp).
  Result<> pause(std::string_view ref);
  Result<> unpause(std::string_view ref);
  // new_name as the client gave it ("x" or "/x"); dockerd's checks and messages (container_rename.cpp).
  Result<> rename(std::string_view ref, const std::string& new_name);
  // Removes every container that is not running or paused and matches f (until, label, label!).
  Result<PruneResult> prune(const Filters& f);
  // Whether the container was made with CreateOptions::pinned_netns (a pod sandbox): its
  // namespace, and what its owner set up in it, are released by the owner, never by a remove.
  bool netns_pinned(const std::string& id) const;
  // Bytes in the container's writable layer (SizeRw); 0 when it cannot be measured.
  int64_t rw_size(const std::string& id) const;
  // Blocks until the condition holds. next-exit counts exits after exits_before (from
  // exit_count(), taken before the caller told its client the wait is registered).
  Result<WaitResult> wait(std::string_view ref, WaitCondition cond, std::optional<int> exits_before = {});
  // The same without blocking: nullopt while the condition does not hold yet.
  Result<std::optional<WaitResult>> try_wait(std::string_view ref, WaitCondition cond, std::optional<int> exits_before);

  // A readable eventfd after every container state change while it lives: lets a caller that
  // also watches its client (an API wait) sleep on both instead of holding a thread forever.
  class ChangeWatch {
   public:
    ~ChangeWatch();
    int fd() const { return fd_.get(); }
    void clear();

   private:
    friend class ContainerService;
    ChangeWatch(ContainerService* svc, UniqueFd fd) : svc_(svc), fd_(std::move(fd)) {}
    ContainerService* svc_;
    UniqueFd fd_;
  };
  Result<std::unique_ptr<ChangeWatch>> watch_changes();
  int exit_count(const std::string& id);

  // The attach socket of the container's shim, subscribed to its live output when running;
  // otherwise a waiter served by the next start. cancel_attach() withdraws a waiter.
  Result<AttachTarget> attach(std::string_view ref);
  void cancel_attach(const std::string& id, const std::shared_ptr<AttachWaiter>& w);
  // The container's terminal size (TIOCSWINSZ through the shim); 409 when it is not running.
  Result<> resize(std::string_view ref, uint32_t rows, uint32_t cols);
  // The shim closes the container's log file and opens its path again (container_log_reopen.cpp):
  // the CRI's ReopenContainerLog after the kubelet renamed the file. 409 when it is not running.
  Result<> reopen_log(std::string_view ref);

  // POST /containers/{id}/update: the restart policy (container_restart.cpp) and the cgroup
  // resources (container_update.cpp). Returns the warnings.
  Result<std::vector<std::string>> update(std::string_view ref, const nlohmann::json& body);
  // ps on the host, rows of the container's processes only (container_top.cpp).
  Result<nlohmann::json> top(std::string_view ref, const std::string& ps_args);
  // One sample of the container's resource usage as the stats endpoint sends it (container_stats.cpp);
  // 409 when it is not running.
  Result<nlohmann::json> stats_sample(std::string_view ref);

  Result<ContainerRecord> find(std::string_view ref) const { return store_.find(ref); }
  // Its mounts as recorded at create (inspect's Mounts, --volumes-from).
  std::vector<MountPoint> mounts_of(const std::string& id) const;
  // Publishes a volume event (create, destroy, mount, unmount) with dockerd's attributes.
  void volume_event(const VolumeRecord& v, const std::string& action, const std::string& container_id = "");
  // docker network connect/disconnect: the container's recorded networks change, and a running
  // one gains or loses the interface now (container_service_network.cpp).
  Result<> connect_network(std::string_view ref, const std::string& network_ref, const EndpointRequest& req);
  Result<> disconnect_network(std::string_view ref, const std::string& network_ref, bool force);
  std::string container_dir(const std::string& id) const;
  // Its names in the embedded DNS (with the plan's aliases: dns_names()) and its --dns servers.
  static DnsIdentity dns_identity(const ContainerRecord& c);
  std::string log_path(const std::string& id) const;  // json-file's path (inspect's LogPath)
  // The container's log as its driver keeps it; nullopt when the driver keeps none.
  std::optional<LogFile> log_file(const ContainerRecord& c) const;
  LogConfig log_config(const ContainerRecord& c) const;
  std::string state_dir(const std::string& id) const;   // its shim's (attach socket)
  std::string bundle_dir(const std::string& id) const;  // config.json, rootfs
  // Publishes a container event with dockerd's attributes (name, image, labels) and extra.
  void event(const ContainerRecord& c, const std::string& action, std::map<std::string, std::string> extra = {});

 private:
  struct Watched {
    UniqueFd pidfd;  // the shim's
  };
  Result<> start_locked(std::unique_lock<std::mutex>& lk, ContainerRecord& c);
  // mu_ held: the resource fields of an update body onto hc, the running cgroup and the
  // bundle (container_update.cpp). Returns the warnings.
  Result<std::vector<std::string>> update_resources_locked(const ContainerRecord& c, nlohmann::json& hc,
                                                           const nlohmann::json& body);
  // Points config.json's joined namespaces (--ipc/--pid container:<id>) at the donor's current pid.
  Result<> refresh_joined_namespaces(const ContainerRecord& c, const nlohmann::json& hc);
  // What HostConfig is checked and applied against (host_config_spec.hpp).
  struct HostConfigContext host_config_context();
  // mu_ held: the wait's result once cond holds for container id (seen: exits counted before).
  std::optional<WaitResult> wait_check(const std::string& id, WaitCondition cond, int seen);
  // mu_ held: the container id and exit count a wait starts from; gone is set for a removed one.
  Result<std::pair<std::string, int>> wait_target(std::string_view ref, WaitCondition cond,
                                                  std::optional<int> exits_before, std::optional<WaitResult>& gone);
  void notify_changed();  // mu_ held
  // A connection to the shim in sdir, subscribed to its output.
  Result<UniqueFd> connect_attached(const std::string& sdir);
  void watch(const std::string& id, pid_t shim_pid);
  void monitor_loop();
  // The shim has exited: record how the container ended.
  void on_exit(const std::string& id);
  Result<> remove_locked(const ContainerRecord& c, bool volumes = false);
  // Mounts (container_volumes.cpp): checked before anything exists, then made for container id
  // (volumes created, filled from the image, used by id) and put in spec; released at removal.
  Result<std::vector<MountPoint>> plan_mounts(const nlohmann::json& hc, const nlohmann::json& config,
                                              const nlohmann::json& image_config);
  Result<> make_mounts(const std::string& id, const std::string& rootfs, std::vector<MountPoint>& mounts,
                       nlohmann::json& spec);
  void release_mounts(const std::string& id, bool remove_anonymous);
  // At each start: its volumes mounted where they need it (tmpfs), with dockerd's mount events.
  Result<> mount_volumes_for_start(const ContainerRecord& c);
  // The host ids of its root when it runs remapped (from its config.json).
  std::optional<std::pair<uint32_t, uint32_t>> remapped_root_of(const std::string& id) const;
  // userns-remap: what berthd made for the container, owned by its remapped root.
  Result<> own_container_files(const std::string& id, const nlohmann::json& spec, const UsernsRemap& r);
  // At each stop (and a failed start): what its start mounted goes once no one else uses it.
  void unmount_volumes_at_stop(const std::string& id);
  // At berthd's start: volume users and mounters as the containers found say (after a crash).
  void reconcile_volumes();
  // Networking (container_network.cpp): at create the plan, spec edits and /etc files; at each
  // start the interfaces (mu_ not held); at exit and removal their release.
  Result<> plan_container_network(const nlohmann::json& hc, const nlohmann::json& body,
                                  const std::vector<std::string>& exposed, const std::string& id,
                                  nlohmann::json& spec, const std::string& hostname, const std::string& domainname,
                                  bool pinned_netns = false);
  Result<> connect_container_network(const ContainerRecord& c);
  void release_container_network(const std::string& id);
  // The embedded DNS again for a container found running at berthd's start.
  void serve_container_dns(const ContainerRecord& c, bool names_only = false);
  void refresh_container_dns(const ContainerRecord& c) { serve_container_dns(c, true); }
  // Restart policies (container_restart.cpp). mu_ held: after an exit, the delay before the
  // policy starts it again (nullopt: it stays exited); counts the restart.
  std::optional<std::chrono::milliseconds> restart_after_exit(ContainerRecord& c, int exit_code);
  void schedule_restart(const std::string& id, std::chrono::milliseconds delay);
  // The monitor's timer fired: start the container if it is still waiting to restart.
  void restart_due(const std::string& id);
  // mu_ held: the user stopped or killed c; ends a restart loop (a pending restart too).
  void stop_restart_loop(ContainerRecord& c, bool cancel);
  // mu_ held: a start by the user resets the policy's count and back-off.
  void reset_restart_state(ContainerRecord& c);
  // At berthd start: containers whose policy wants them up (after a host reboot too).
  void restart_on_boot();
  // The monitor's epoll timeout until the next restart is due (-1: none). watch_mu_ held.
  int next_restart_timeout_ms() const;
  std::vector<std::string> take_due_restarts();  // watch_mu_ held
  Result<> signal_container(const ContainerRecord& c, int sig);
  // A runtime by name (HostConfig.Runtime): berth's own or one of daemon.json's runtimes.
  Result<RuntimeChoice> runtime_named(const std::string& name) const;
  // The runtime the container's running shim uses, as its start recorded it.
  RuntimeChoice runtime_in_use(const std::string& id) const;
  // After a signal that should end a paused container, thaw it so it can act on it (as
  // dockerd does); records it as running again.
  void thaw_for_signal(ContainerRecord& c, int sig);
  // Waits (bounded) until the container is no longer running; true when it stopped.
  bool wait_stopped(std::unique_lock<std::mutex>& lk, const std::string& id, std::chrono::milliseconds timeout);

  const DaemonConfig& config_;
  image::ImageService& images_;
  ContainerStore& store_;
  EventBus& events_;
  NetworkService* networks_ = nullptr;
  VolumeService* volumes_ = nullptr;
  std::string shim_path_, runtime_root_, seccomp_cache_;

  std::mutex mu_;  // container state transitions
  std::condition_variable changed_;
  std::map<std::string, int> exits_;           // id -> number of exits seen
  std::map<std::string, WaitResult> removed_;  // recently removed containers' last exit
  std::set<std::string> starting_;  // starts in flight (mu_ released while the shim comes up)
  std::vector<int> watchers_;       // ChangeWatch eventfds
  std::map<std::string, std::vector<std::shared_ptr<AttachWaiter>>> attach_waiters_;  // under mu_
  std::map<std::string, RestartBackoff> backoff_;  // under mu_: each container's restart state
  std::set<std::string> restart_canceled_;        // under mu_: dockerd's canceled restart manager

  std::mutex watch_mu_;
  std::map<int, std::string> watched_;  // shim pidfd -> id
  std::map<std::string, UniqueFd> pidfds_;
  std::vector<std::string> gone_;  // shims that exited before they could be watched
  std::map<std::string, std::chrono::steady_clock::time_point> restart_due_;  // id -> when to start it
  UniqueFd epoll_, wake_;
  std::thread monitor_;
  bool stopping_ = false;
};

}  // namespace berth::engine
