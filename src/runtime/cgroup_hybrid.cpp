// Hybrid layout (systemd's "hybrid" mode): the v1 hierarchies carry every limit, the cgroup2
// mount (/sys/fs/cgroup/unified) tracks the processes; the init joins both.
#include "runtime/cgroup_hybrid.hpp"

#include "runtime/cgroup_fs.hpp"

namespace berth::runtime {

using nlohmann::json;

CgroupHybrid::CgroupHybrid(CgroupV1 v1, CgroupV2 v2) : v1_(std::move(v1)), v2_(std::move(v2)) {}

json CgroupHybrid::save() const { return {{"layout", "hybrid"}, {"v1", v1_.save()}, {"v2", v2_.save()}}; }

// Only the unified key-values go to the cgroup2 side (for controllers that live only there).
static json unified_part(const json& r) {
  json u = json::object();
  if (r.is_object() && !cg::section(r, "unified").is_null()) u["unified"] = r.at("unified");
  return u;
}
static json v1_part(const json& r) {
  if (!r.is_object()) return r;
  json c = r;
  c.erase("unified");
  return c;
}

Result<> CgroupHybrid::create(const json& resources) {
  BERTH_CHECK(validate_resources(resources), "");
  BERTH_CHECK(v1_.check_supported(resources, true), "");
  json u = unified_part(resources);
  BERTH_CHECK(v2_.check_supported(u), "");
  auto created = BERTH_TRY(v1_.make_dirs(), "create cgroup");
  auto c2 = v2_.make_dirs(CgroupV2::needed_controllers(u));
  if (!c2) {
    cg::remove_created(created);
    return fail(c2.error());
  }
  created.insert(created.end(), c2->begin(), c2->end());
  auto r = v1_.apply(v1_part(resources), false);
  if (r) r = v2_.apply(u, false);
  if (!r) {
    cg::remove_created(created);
    return r;
  }
  v1_.note_created(created);
  v2_.note_created(created);
  return {};
}

Result<> CgroupHybrid::update(const json& resources) {
  BERTH_CHECK(validate_resources(resources), "");
  BERTH_CHECK(v1_.check_supported(resources, true), "");
  json u = unified_part(resources);
  BERTH_CHECK(v2_.check_supported(u), "");
  BERTH_CHECK(v1_.apply(v1_part(resources), true), "");
  return v2_.apply(u, true);
}

Result<> CgroupHybrid::add_process(pid_t pid) {
  BERTH_CHECK(v1_.add_process(pid), "");
  return v2_.add_process(pid);
}

Result<std::vector<pid_t>> CgroupHybrid::pids() { return v2_.pids(); }

Result<> CgroupHybrid::destroy() {
  auto procs = BERTH_TRY(v2_.pids(), "destroy cgroup");
  if (!procs.empty())
    return fail(ErrorKind::Conflict, "destroy cgroup " + v2_.path() + ": " + std::to_string(procs.size()) + " processes still in it");
  auto a = v1_.destroy();
  auto b = v2_.destroy();
  if (!a) return a;
  return b;
}

}  // namespace berth::runtime
