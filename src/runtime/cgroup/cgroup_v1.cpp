#include "runtime/cgroup/cgroup_v1.hpp"

#include <unistd.h>

#include <chrono>
#include <optional>
#include <set>
#include <thread>

#include "common/fs.hpp"
#include "common/log.hpp"
#include "runtime/cgroup/cgroup_fs.hpp"
#include "runtime/cgroup/cgroup_oom.hpp"
#include "runtime/cgroup/cgroup_stats.hpp"

namespace berth::runtime {

using nlohmann::json;

CgroupV1::CgroupV1(std::string path, std::map<std::string, std::string> dirs)
    : path_(std::move(path)), dirs_(std::move(dirs)) {}

const std::string* CgroupV1::dir(const std::string& controller) const {
  auto it = dirs_.find(controller);
  return it == dirs_.end() ? nullptr : &it->second;
}

std::vector<std::string> CgroupV1::unique_dirs() const {
  std::set<std::string> seen;
  std::vector<std::string> out;
  for (auto& [c, d] : dirs_)
    if (seen.insert(d).second) out.push_back(d);
  return out;
}

json CgroupV1::save() const {
  json j = {{"layout", "v1"}, {"path", path_}, {"dirs", dirs_}};
  if (!parents_.empty()) j["parents"] = parents_;
  return j;
}

void CgroupV1::note_created(const std::vector<std::string>& created) {
  for (auto& p : cg::ancestors_of(created, unique_dirs())) parents_.push_back(p);
}

Result<> CgroupV1::check_supported(const json& r, bool allow_unified) const {
  auto need = [&](const char* field, const char* ctrl) -> Result<> {
    if (!dir(ctrl))
      return fail(ErrorKind::Unavailable, std::string("linux.resources.") + field + ": the " + ctrl + " cgroup controller is not mounted");
    return {};
  };
  if (!r.is_object()) return {};
  if (cg::present(r, "memory")) BERTH_CHECK(need("memory", "memory"), "");
  const json& c = cg::section(r, "cpu");
  for (auto* k : {"shares", "quota", "period", "realtimeRuntime", "realtimePeriod", "idle", "burst"})
    if (cg::present(c, k)) BERTH_CHECK(need((std::string("cpu.") + k).c_str(), "cpu"), "");
  for (auto* k : {"cpus", "mems"})
    if (cg::present(c, k)) BERTH_CHECK(need((std::string("cpu.") + k).c_str(), "cpuset"), "");
  if (!cg::section(r, "blockIO").is_null()) BERTH_CHECK(need("blockIO", "blkio"), "");
  if (cg::present(r, "pids")) BERTH_CHECK(need("pids", "pids"), "");
  if (!cg::section(r, "hugepageLimits").is_null()) BERTH_CHECK(need("hugepageLimits", "hugetlb"), "");
  if (!cg::section(r, "devices").is_null()) BERTH_CHECK(need("devices", "devices"), "");
  if (!cg::section(r, "rdma").is_null()) BERTH_CHECK(need("rdma", "rdma"), "");
  if (!allow_unified && !cg::section(r, "unified").is_null())
    return fail(ErrorKind::Invalid, "linux.resources.unified: cgroup v2 settings on a cgroup v1 host");
  return {};
}

// A new cpuset cgroup starts with empty cpus/mems, and a task cannot join it until they are
// set; copy them down from the nearest configured ancestor.
static Result<> init_cpuset(const std::string& dir) {
  auto cpus = cg::read(dir, "cpuset.cpus");
  if (!cpus) return {};  // above the mount point
  auto mems = BERTH_TRY(cg::read(dir, "cpuset.mems"), "");
  if (!cpus->empty() && !mems.empty()) return {};
  std::string parent = dir.substr(0, dir.find_last_of('/'));
  BERTH_CHECK(init_cpuset(parent), "");
  if (cpus->empty()) BERTH_CHECK(cg::write(dir, "cpuset.cpus", BERTH_TRY(cg::read(parent, "cpuset.cpus"), "")), "");
  if (mems.empty()) BERTH_CHECK(cg::write(dir, "cpuset.mems", BERTH_TRY(cg::read(parent, "cpuset.mems"), "")), "");
  return {};
}

Result<std::vector<std::string>> CgroupV1::make_dirs() {
  std::vector<std::string> created;
  for (auto& d : unique_dirs()) {
    auto c = cg::make_dirs(d);
    if (!c) {
      cg::remove_created(created);
      return fail(c.error());
    }
    created.insert(created.end(), c->begin(), c->end());
  }
  if (auto* cs = dir("cpuset")) {
    if (auto r = init_cpuset(*cs); !r) {
      cg::remove_created(created);
      return fail(r.error().wrap("cpuset"));
    }
  }
  return created;
}

Result<> CgroupV1::create(const json& resources) {
  BERTH_CHECK(validate_resources(resources), "");
  BERTH_CHECK(check_supported(resources, false), "");
  auto created = BERTH_TRY(make_dirs(), "create cgroup");
  if (auto r = apply(resources, false); !r) {
    cg::remove_created(created);
    return r;
  }
  note_created(created);
  return {};
}

Result<> CgroupV1::update(const json& resources) {
  BERTH_CHECK(validate_resources(resources), "");
  BERTH_CHECK(check_supported(resources, false), "");
  return apply(resources, true);
}

Result<> CgroupV1::apply(const json& r, bool update) {
  if (!r.is_object()) return {};
  if (cg::present(r, "memory")) BERTH_CHECK(apply_memory(r.at("memory"), update), "");
  if (cg::present(r, "cpu")) BERTH_CHECK(apply_cpu(r.at("cpu")), "");
  if (cg::present(r, "blockIO")) BERTH_CHECK(apply_blkio(r.at("blockIO")), "");
  // runc: 0 leaves pids.max alone, a negative value lifts the limit.
  if (auto lim = cg::opt_i(cg::section(r, "pids"), "limit"); lim && *lim != 0) {
    if (auto w = cg::write(*dir("pids"), "pids.max", *lim > 0 ? std::to_string(*lim) : "max"); !w)
      return fail(cg::field_error("pids.limit", w.error()));
  }
  for (auto& h : cg::section(r, "hugepageLimits")) {
    auto ps = h.at("pageSize").get<std::string>();
    if (auto w = cg::write(*dir("hugetlb"), "hugetlb." + ps + ".limit_in_bytes", std::to_string(*cg::opt_i(h, "limit"))); !w)
      return fail(cg::field_error("hugepageLimits", w.error()));
  }
  if (!cg::section(r, "devices").is_null()) BERTH_CHECK(apply_devices(r.at("devices")), "");
  if (!cg::section(r, "network").is_null()) BERTH_CHECK(apply_network(r.at("network")), "");
  for (auto& [dev, lim] : cg::section(r, "rdma").items()) {
    std::string v = dev;
    if (auto h = cg::opt_i(lim, "hcaHandles")) v += " hca_handle=" + std::to_string(*h);
    if (auto o = cg::opt_i(lim, "hcaObjects")) v += " hca_object=" + std::to_string(*o);
    if (auto w = cg::write(*dir("rdma"), "rdma.max", v); !w) return fail(cg::field_error("rdma." + dev, w.error()));
  }
  return {};
}

Result<> CgroupV1::apply_memory(const json& m, bool update) {
  const std::string& d = *dir("memory");
  auto w = [&](const char* field, const char* file, int64_t v) -> Result<> {
    if (auto r = cg::write(d, file, std::to_string(v)); !r) return fail(cg::field_error(std::string("memory.") + field, r.error()));
    return {};
  };
  int64_t limit = cg::opt_i(m, "limit").value_or(0), swap = cg::opt_i(m, "swap").value_or(0);
  if (update && cg::opt_b(m, "checkBeforeUpdate").value_or(false) && limit > 0) {
    auto usage = BERTH_TRY(cg::read_u64(d, "memory.usage_in_bytes"), "linux.resources.memory.checkBeforeUpdate");
    if (static_cast<uint64_t>(limit) < usage)
      return fail(ErrorKind::Invalid, "linux.resources.memory.limit: rejecting memory limit " + std::to_string(limit) +
                                          " below current usage " + std::to_string(usage));
  }
  bool memsw = cg::has(d, "memory.memsw.limit_in_bytes");
  if (swap != 0 && !memsw) return fail(ErrorKind::Unavailable, "linux.resources.memory.swap: swap accounting is not enabled in this kernel");
  if (limit == -1 && swap == 0 && memsw) swap = -1;  // unlimited memory means unlimited swap too
  if (limit != 0 && swap != 0) {
    // The kernel keeps limit <= memsw at every instant, so the order depends on the direction.
    auto cur = BERTH_TRY(cg::read_u64(d, "memory.limit_in_bytes"), "linux.resources.memory");
    if (swap == -1 || cur < static_cast<uint64_t>(swap)) {
      BERTH_CHECK(w("swap", "memory.memsw.limit_in_bytes", swap), "");
      BERTH_CHECK(w("limit", "memory.limit_in_bytes", limit), "");
    } else {
      BERTH_CHECK(w("limit", "memory.limit_in_bytes", limit), "");
      BERTH_CHECK(w("swap", "memory.memsw.limit_in_bytes", swap), "");
    }
  } else {
    if (limit != 0) BERTH_CHECK(w("limit", "memory.limit_in_bytes", limit), "");
    if (swap != 0) BERTH_CHECK(w("swap", "memory.memsw.limit_in_bytes", swap), "");
  }
  if (auto v = cg::opt_i(m, "reservation"); v && *v != 0) BERTH_CHECK(w("reservation", "memory.soft_limit_in_bytes", *v), "");
  if (auto v = cg::opt_i(m, "kernel"); v && *v != 0) {
    // Linux 5.16 deprecated and 6.x dropped kernel memory limits; runc ignores them as well.
    if (auto r = cg::write(d, "memory.kmem.limit_in_bytes", std::to_string(*v)); !r)
      warn("linux.resources.memory.kernel is ignored: this kernel does not support kernel memory limits (" + r.error().what() + ")");
  }
  if (auto v = cg::opt_i(m, "kernelTCP"); v && *v != 0) BERTH_CHECK(w("kernelTCP", "memory.kmem.tcp.limit_in_bytes", *v), "");
  if (auto v = cg::opt_i(m, "swappiness")) BERTH_CHECK(w("swappiness", "memory.swappiness", *v), "");
  if (auto v = cg::opt_b(m, "disableOOMKiller"); v && (*v || update)) BERTH_CHECK(w("disableOOMKiller", "memory.oom_control", *v ? 1 : 0), "");
  if (auto v = cg::opt_b(m, "useHierarchy")) {
    // Since Linux 5.x hierarchy is always on and only "1" is accepted.
    auto cur = cg::read(d, "memory.use_hierarchy");
    if (!cur || *cur != (*v ? "1" : "0")) BERTH_CHECK(w("useHierarchy", "memory.use_hierarchy", *v ? 1 : 0), "");
  }
  return {};
}

Result<> CgroupV1::apply_cpu(const json& c) {
  auto w = [&](const char* ctrl, const char* field, const char* file, const std::string& v) -> Result<> {
    if (auto r = cg::write(*dir(ctrl), file, v); !r) return fail(cg::field_error(std::string("cpu.") + field, r.error()));
    return {};
  };
  if (auto v = cg::opt_i(c, "shares"); v && *v != 0) BERTH_CHECK(w("cpu", "shares", "cpu.shares", std::to_string(*v)), "");
  auto period = cg::opt_i(c, "period").value_or(0), quota = cg::opt_i(c, "quota").value_or(0);
  if (period != 0) {
    // A shorter period can be refused while the old quota is in place; then quota goes first.
    auto r = cg::write(*dir("cpu"), "cpu.cfs_period_us", std::to_string(period));
    if (!r && r.error().errnum == EINVAL && quota != 0) {
      BERTH_CHECK(w("cpu", "quota", "cpu.cfs_quota_us", std::to_string(quota)), "");
      BERTH_CHECK(w("cpu", "period", "cpu.cfs_period_us", std::to_string(period)), "");
      quota = 0;
    } else if (!r) {
      return fail(cg::field_error("cpu.period", r.error()));
    }
  }
  if (quota != 0) BERTH_CHECK(w("cpu", "quota", "cpu.cfs_quota_us", std::to_string(quota)), "");
  if (auto v = cg::opt_i(c, "burst")) BERTH_CHECK(w("cpu", "burst", "cpu.cfs_burst_us", std::to_string(*v)), "");
  if (auto v = cg::opt_i(c, "realtimePeriod"); v && *v != 0) BERTH_CHECK(w("cpu", "realtimePeriod", "cpu.rt_period_us", std::to_string(*v)), "");
  if (auto v = cg::opt_i(c, "realtimeRuntime"); v && *v != 0) BERTH_CHECK(w("cpu", "realtimeRuntime", "cpu.rt_runtime_us", std::to_string(*v)), "");
  if (auto v = cg::opt_i(c, "idle")) BERTH_CHECK(w("cpu", "idle", "cpu.idle", std::to_string(*v)), "");
  if (auto v = cg::opt_s(c, "cpus"); v && !v->empty()) BERTH_CHECK(w("cpuset", "cpus", "cpuset.cpus", *v), "");
  if (auto v = cg::opt_s(c, "mems"); v && !v->empty()) BERTH_CHECK(w("cpuset", "mems", "cpuset.mems", *v), "");
  return {};
}

Result<> CgroupV1::apply_blkio(const json& b) {
  const std::string& d = *dir("blkio");
  // CFQ's files went away with the legacy block layer; BFQ offers the same weights.
  std::string weight_file = cg::has(d, "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
  std::string weight_dev_file = cg::has(d, "blkio.weight_device") ? "blkio.weight_device" : "blkio.bfq.weight_device";
  auto w = [&](const std::string& field, const std::string& file, const std::string& v) -> Result<> {
    if (auto r = cg::write(d, file, v); !r) return fail(cg::field_error("blockIO." + field, r.error()));
    return {};
  };
  if (auto v = cg::opt_i(b, "weight"); v && *v != 0) BERTH_CHECK(w("weight", weight_file, std::to_string(*v)), "");
  if (auto v = cg::opt_i(b, "leafWeight"); v && *v != 0) BERTH_CHECK(w("leafWeight", "blkio.leaf_weight", std::to_string(*v)), "");
  for (auto& e : cg::section(b, "weightDevice")) {
    if (auto v = cg::opt_i(e, "weight"); v && *v != 0) BERTH_CHECK(w("weightDevice", weight_dev_file, cg::majmin(e) + " " + std::to_string(*v)), "");
    if (auto v = cg::opt_i(e, "leafWeight"); v && *v != 0)
      BERTH_CHECK(w("weightDevice", "blkio.leaf_weight_device", cg::majmin(e) + " " + std::to_string(*v)), "");
  }
  const std::pair<const char*, const char*> throttles[] = {{"throttleReadBpsDevice", "blkio.throttle.read_bps_device"},
                                                           {"throttleWriteBpsDevice", "blkio.throttle.write_bps_device"},
                                                           {"throttleReadIOPSDevice", "blkio.throttle.read_iops_device"},
                                                           {"throttleWriteIOPSDevice", "blkio.throttle.write_iops_device"}};
  for (auto& [key, file] : throttles)
    for (auto& e : cg::section(b, key)) BERTH_CHECK(w(key, file, cg::majmin(e) + " " + std::to_string(*cg::opt_i(e, "rate"))), "");
  return {};
}

// The rules in order, each written to devices.allow or devices.deny: "a" rules reset the list,
// so the usual "deny all, then allow these" spec works as written.
Result<> CgroupV1::apply_devices(const json& rules) {
  const std::string& d = *dir("devices");
  for (size_t i = 0; i < rules.size(); ++i) {
    const json& r = rules[i];
    std::string type = cg::opt_s(r, "type").value_or("a");
    auto num = [&](const char* k) {
      auto v = cg::opt_i(r, k);
      return v && *v >= 0 ? std::to_string(*v) : std::string("*");
    };
    std::string line = type + " " + num("major") + ":" + num("minor") + " " + cg::opt_s(r, "access").value_or("rwm");
    if (line.back() == ' ') line += "rwm";
    if (type == "a") line = "a";
    bool allow = r.at("allow").get<bool>();
    if (auto w = cg::write(d, allow ? "devices.allow" : "devices.deny", line); !w)
      return fail(cg::field_error("devices[" + std::to_string(i) + "]", w.error()));
  }
  return {};
}

Result<> CgroupV1::apply_network(const json& n) {
  if (auto id = cg::opt_i(n, "classID")) {
    if (!dir("net_cls")) warn("linux.resources.network.classID is ignored: the net_cls controller is not mounted");
    else if (auto w = cg::write(*dir("net_cls"), "net_cls.classid", std::to_string(*id)); !w)
      return fail(cg::field_error("network.classID", w.error()));
  }
  for (auto& p : cg::section(n, "priorities")) {
    if (!dir("net_prio")) {
      warn("linux.resources.network.priorities are ignored: the net_prio controller is not mounted");
      break;
    }
    std::string v = p.at("name").get<std::string>() + " " + std::to_string(cg::opt_i(p, "priority").value_or(0));
    if (auto w = cg::write(*dir("net_prio"), "net_prio.ifpriomap", v); !w) return fail(cg::field_error("network.priorities", w.error()));
  }
  return {};
}

Result<> CgroupV1::add_process(pid_t pid) {
  for (auto& d : unique_dirs()) BERTH_CHECK(cg::add_pid(d, pid), "join cgroup");
  return {};
}

Result<> CgroupV1::freeze() {
  auto* d = dir("freezer");
  if (!d) return fail(ErrorKind::Unavailable, "freeze: the freezer cgroup controller is not mounted");
  // The kernel moves through FREEZING while it stops each task; tasks in an uninterruptible
  // sleep can keep it there, so the wait is bounded and a timeout thaws again.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (int i = 0;; ++i) {
    BERTH_CHECK(cg::write(*d, "freezer.state", "FROZEN"), "freeze");
    auto st = BERTH_TRY(cg::read(*d, "freezer.state"), "freeze");
    if (st == "FROZEN") return {};
    if (std::chrono::steady_clock::now() > deadline) {
      (void)cg::write(*d, "freezer.state", "THAWED");
      return fail(ErrorKind::Unavailable, "freeze: cgroup " + *d + " still " + st + " after 5s; thawed again");
    }
    std::this_thread::sleep_for(std::chrono::microseconds(i < 10 ? 100 : 5000));
  }
}

Result<> CgroupV1::thaw() {
  auto* d = dir("freezer");
  if (!d) return fail(ErrorKind::Unavailable, "thaw: the freezer cgroup controller is not mounted");
  BERTH_CHECK(cg::write(*d, "freezer.state", "THAWED"), "thaw");
  return {};
}

Result<bool> CgroupV1::frozen() {
  auto* d = dir("freezer");
  if (!d) return false;
  auto st = BERTH_TRY(cg::read(*d, "freezer.state"), "freezer state");
  return st == "FROZEN";
}

Result<std::vector<pid_t>> CgroupV1::pids() {
  for (auto* c : {"pids", "freezer", "memory", "cpu", "devices"})
    if (auto* d = dir(c)) return cg::procs_recursive(*d);
  if (dirs_.empty()) return std::vector<pid_t>{};
  return cg::procs_recursive(dirs_.begin()->second);
}

Result<json> CgroupV1::stats() { return cgroup_v1_stats(dirs_); }

Result<> CgroupV1::destroy() {
  auto procs = BERTH_TRY(pids(), "destroy cgroup");
  if (!procs.empty())
    return fail(ErrorKind::Conflict, "destroy cgroup " + path_ + ": " + std::to_string(procs.size()) + " processes still in it");
  std::optional<Error> first;
  for (auto& d : unique_dirs())
    if (auto r = cg::remove_tree(d); !r && !first) first = r.error();
  if (first) return fail(first->wrap("destroy cgroup"));
  cg::remove_empty_parents(parents_);
  return {};
}

Result<OomEvents> CgroupV1::oom_events() {
  auto* d = dir("memory");
  if (!d) return fail(ErrorKind::Unavailable, "oom events: the memory cgroup controller is not mounted");
  return open_oom_events_v1(*d);
}

Result<uint64_t> CgroupV1::oom_kill_count() {
  auto* d = dir("memory");
  if (!d) return fail(ErrorKind::Unavailable, "oom count: the memory cgroup controller is not mounted");
  return read_oom_kill_count(*d + "/memory.oom_control");
}

}  // namespace berth::runtime
