// pause / unpause: the container's cgroup freezer through the runtime library, with dockerd's
// checks and messages. A paused container keeps its process: it is "live" (is_live) for stop,
// kill and remove, which thaw it after their signal (thaw_for_signal) as dockerd does.
#include <signal.h>

#include "common/json_util.hpp"
#include "common/log.hpp"
#include "common/process.hpp"
#include "engine/container_service.hpp"
#include "runtime/container.hpp"

namespace berth::engine {

namespace {

runtime::GlobalOptions globals(const std::string& root, const std::string& cache) {
  runtime::GlobalOptions g;
  g.root = root;
  g.seccomp_cache_dir = cache;
  return g;
}

}  // namespace

Result<> ContainerService::pause(std::string_view ref) {
  std::unique_lock lk(mu_);
  auto c = BERTH_TRY(store_.find(ref), "");
  if (c.state == "restarting")
    return fail(ErrorKind::Conflict, "Container " + c.id + " is restarting, wait until the container is running");
  if (c.state == "paused") return fail(ErrorKind::Conflict, "Container " + c.id + " is already paused");
  if (c.state != "running") return fail(ErrorKind::Conflict, "Container " + c.id + " is not running");
  auto r = runtime::pause_container(globals(runtime_root_, seccomp_cache_), c.id);
  if (!r) return fail(ErrorKind::Internal, "Cannot pause container " + c.id + ": " + r.error().what());
  c.state = "paused";
  if (auto u = store_.update_state(c); !u) {
    (void)runtime::resume_container(globals(runtime_root_, seccomp_cache_), c.id);
    return fail(u.error().wrap("pause container " + c.id));
  }
  event(c, "pause");
  return {};
}

Result<> ContainerService::unpause(std::string_view ref) {
  std::unique_lock lk(mu_);
  auto c = BERTH_TRY(store_.find(ref), "");
  if (c.state != "paused") return fail(ErrorKind::Conflict, "Container " + c.id + " is not paused");
  auto r = runtime::resume_container(globals(runtime_root_, seccomp_cache_), c.id);
  if (!r) return fail(ErrorKind::Internal, "Cannot unpause container " + c.id + ": " + r.error().what());
  c.state = "running";
  if (auto u = store_.update_state(c); !u) return fail(u.error().wrap("unpause container " + c.id));
  event(c, "unpause");
  return {};
}

void ContainerService::thaw_for_signal(ContainerRecord& c, int sig) {
  if (c.state != "paused") return;
  // dockerd thaws for SIGKILL and for the container's stop signal (any signal when it has none):
  // a frozen process cannot act on either until it runs again.
  auto cfg = nlohmann::json::parse(c.config_json, nullptr, false);
  std::string stop_signal = json_string(cfg, "StopSignal");
  if (sig != SIGKILL && !stop_signal.empty()) {
    auto s = parse_signal(stop_signal);
    if (!s || *s != sig) return;
  }
  if (auto r = runtime::resume_container(globals(runtime_root_, seccomp_cache_), c.id); !r)
    log::warn("container " + c.id + ": thaw after signal " + std::to_string(sig) + ": " + r.error().what());
  c.state = "running";
  if (auto u = store_.update_state(c); !u) log::error("container " + c.id + ": " + u.error().what());
}

}  // namespace berth::engine
