// `events`: stats snapshots and OOM notifications from a container's cgroup.
#include <poll.h>

#include "runtime/cgroup/cgroup.hpp"
#include "runtime/cgroup/cgroup_verbs.hpp"
#include "runtime/state.hpp"

namespace berth::runtime {

using nlohmann::json;

namespace {

Result<std::unique_ptr<CgroupManager>> running_cgroup(const StateStore& store, const ContainerState& st) {
  if (container_status(store, st) == Status::Stopped)
    return fail(ErrorKind::Conflict, "container " + st.id + " is not running");
  if (st.cgroup.is_null()) return fail(ErrorKind::Internal, "container " + st.id + " has no cgroup");
  return load_cgroup_manager(st.cgroup);
}

}  // namespace

Result<json> container_stats(const GlobalOptions& g, const std::string& id) {
  StateStore store(g.root);
  auto st = BERTH_TRY(store.load(id), "events");
  auto cg = BERTH_TRY(running_cgroup(store, st), "events");
  auto data = BERTH_TRY(cg->stats(), "events");
  return json{{"type", "stats"}, {"id", id}, {"data", data}};
}

Result<> stream_container_events(const GlobalOptions& g, const std::string& id, std::chrono::milliseconds interval,
                                 const std::function<bool(const json&)>& emit) {
  StateStore store(g.root);
  auto st = BERTH_TRY(store.load(id), "events");
  auto cg = BERTH_TRY(running_cgroup(store, st), "events");
  // Without a memory controller there is nothing to watch for OOM; stats still flow.
  auto oom = cg->oom_events();
  // v1 signals the eventfd when the cgroup goes under OOM, which can be before the kernel has
  // counted the kill; such a signal stays pending until the counter moves or the next tick.
  bool pending = false;
  auto report = [&](bool tick) -> Result<bool> {
    if (!oom) return true;
    auto kills = oom->consume();
    if (!kills) {
      if (kills.error().kind == ErrorKind::NotFound) return false;  // cgroup removed
      return fail(kills.error().wrap("events"));
    }
    uint64_t n = *kills;
    if (n == 0 && pending && tick) n = 1;  // OOM without a kill (OOM killer disabled)
    if (n == 0 && !tick) pending = true;
    if (n > 0) pending = false;
    for (uint64_t i = 0; i < n; ++i)
      if (!emit(json{{"type", "oom"}, {"id", id}})) return false;
    return true;
  };
  auto next = std::chrono::steady_clock::now();
  for (;;) {
    auto now = std::chrono::steady_clock::now();
    if (now >= next) {
      if (!BERTH_TRY(report(true), "")) return {};
      if (container_status(store, st) == Status::Stopped) return {};
      auto data = cg->stats();
      if (!data) {
        if (data.error().kind == ErrorKind::NotFound) return {};
        return fail(data.error().wrap("events"));
      }
      if (!emit(json{{"type", "stats"}, {"id", id}, {"data", *data}})) return {};
      next = now + interval;
      continue;
    }
    auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count();
    pollfd p{oom ? oom->fd() : -1, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait_ms) + 1) == 1 && !BERTH_TRY(report(false), "")) return {};
  }
}

}  // namespace berth::runtime
