// Hybrid layout (systemd's "hybrid" mode): the v1 hierarchies carry the limits, the cgroup2
// mount (/sys/fs/cgroup/unified) tracks the processes; the init joins both.
#include "runtime/cgroup/cgroup_hybrid.hpp"

#include <algorithm>

#include "runtime/cgroup/cgroup_fs.hpp"

namespace berth::runtime {

using nlohmann::json;

CgroupHybrid::CgroupHybrid(CgroupV1 v1, CgroupV2 v2) : v1_(std::move(v1)), v2_(std::move(v2)) {}

json CgroupHybrid::save() const { return {{"layout", "hybrid"}, {"v1", v1_.save()}, {"v2", v2_.save()}}; }

// The cgroup2 side gets the unified key-values, and the limits of controllers that this host
// offers only there (hugetlb on a typical systemd hybrid host); v1 gets everything else.
std::pair<json, json> CgroupHybrid::split(const json& r) const {
  json v1 = r, v2 = json::object();
  if (!r.is_object()) return {v1, v2};
  if (!cg::section(r, "unified").is_null()) v2["unified"] = r.at("unified");
  v1.erase("unified");
  if (!cg::section(r, "hugepageLimits").is_null() && !v1_.has_controller("hugetlb") && v2_.controller_available("hugetlb")) {
    v2["hugepageLimits"] = r.at("hugepageLimits");
    v1.erase("hugepageLimits");
  }
  return {v1, v2};
}

Result<> CgroupHybrid::create(const json& resources) {
  BERTH_CHECK(validate_resources(resources), "");
  auto [r1, r2] = split(resources);
  BERTH_CHECK(v1_.check_supported(r1, false), "");
  BERTH_CHECK(v2_.check_supported(r2), "");
  auto created = BERTH_TRY(v1_.make_dirs(), "create cgroup");
  auto c2 = v2_.make_dirs(CgroupV2::needed_controllers(r2));
  if (!c2) {
    cg::remove_created(created);
    return fail(c2.error());
  }
  created.insert(created.end(), c2->begin(), c2->end());
  auto r = v1_.apply(r1, false);
  if (r) r = v2_.apply(r2, false);
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
  auto [r1, r2] = split(resources);
  BERTH_CHECK(v1_.check_supported(r1, false), "");
  BERTH_CHECK(v2_.check_supported(r2), "");
  BERTH_CHECK(v1_.apply(r1, true), "");
  // A controller the cgroup did not use before must be delegated down to it first.
  if (!r2.empty()) BERTH_CHECK(v2_.make_dirs(CgroupV2::needed_controllers(r2)), "update cgroup");
  return v2_.apply(r2, true);
}

Result<json> CgroupHybrid::stats() {
  auto s = BERTH_TRY(v1_.stats(), "");
  if (!v1_.has_controller("hugetlb")) {
    auto s2 = v2_.stats();
    if (s2 && s2->contains("hugetlb")) s["hugetlb"] = (*s2)["hugetlb"];
  }
  return s;
}

Result<> CgroupHybrid::add_process(pid_t pid) {
  BERTH_CHECK(v1_.add_process(pid), "");
  return v2_.add_process(pid);
}

// Both halves: a process can sit in a v1 hierarchy and not (or not yet) in the v2 one.
Result<std::vector<pid_t>> CgroupHybrid::pids() {
  auto all = BERTH_TRY(v2_.pids(), "");
  auto v1 = BERTH_TRY(v1_.pids(), "");
  all.insert(all.end(), v1.begin(), v1.end());
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

Result<> CgroupHybrid::destroy() {
  auto procs = BERTH_TRY(pids(), "destroy cgroup");
  if (!procs.empty())
    return fail(ErrorKind::Conflict, "destroy cgroup " + v2_.path() + ": " + std::to_string(procs.size()) + " processes still in it");
  auto a = v1_.destroy();
  auto b = v2_.destroy();
  if (!a) return a;
  return b;
}

}  // namespace berth::runtime
