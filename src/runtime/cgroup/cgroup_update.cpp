// `update`: new limits for a live container's cgroup, recorded in its state.
#include "runtime/cgroup/cgroup.hpp"
#include "runtime/cgroup/cgroup_verbs.hpp"
#include "runtime/state.hpp"

namespace berth::runtime {

using nlohmann::json;

Result<> update_container(const GlobalOptions& g, const std::string& id, const json& resources) {
  StateStore store(g.root);
  auto st = BERTH_TRY(store.load(id), "update");
  if (container_status(store, st) == Status::Stopped)
    return fail(ErrorKind::Conflict, "update: container " + id + " is not running");
  if (st.cgroup.is_null()) return fail(ErrorKind::Internal, "update: container " + id + " has no cgroup");
  BERTH_CHECK(validate_resources(resources), "update");
  auto cg = BERTH_TRY(load_cgroup_manager(st.cgroup), "update");
  cg->set_warning_sink(g.on_warning);
  BERTH_CHECK(cg->update(resources), "update");
  // Keep the config in step so a later `state`/restart sees the limits in force.
  json& saved = st.config["linux"]["resources"];
  if (!saved.is_object()) saved = json::object();
  json before = saved;
  for (auto& [section, value] : resources.items()) {
    if (value.is_object() && saved[section].is_object()) saved[section].update(value);
    else saved[section] = value;
  }
  // The state write is durable (fsync); skip it when the values were already in force.
  if (saved != before) BERTH_CHECK(store.save(st), "update: save state");
  return {};
}

}  // namespace berth::runtime
