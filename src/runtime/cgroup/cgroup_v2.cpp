#include "runtime/cgroup/cgroup_v2.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <sstream>

#include "common/fd.hpp"
#include "common/fs.hpp"
#include "common/log.hpp"
#include "runtime/cgroup/cgroup_convert.hpp"
#include "runtime/cgroup/cgroup_devices_bpf.hpp"
#include "runtime/cgroup/cgroup_fs.hpp"
#include "runtime/cgroup/cgroup_oom.hpp"
#include "runtime/cgroup/cgroup_stats.hpp"

namespace berth::runtime {

using nlohmann::json;

CgroupV2::CgroupV2(std::string root, std::string path)
    : root_(std::move(root)), path_(std::move(path)), dir_(root_ + (path_ == "/" ? "" : path_)) {}

json CgroupV2::save() const {
  json j = {{"layout", "v2"}, {"path", path_}, {"root", root_}};
  if (!parents_.empty()) j["parents"] = parents_;
  return j;
}

void CgroupV2::note_created(const std::vector<std::string>& created) {
  for (auto& p : cg::ancestors_of(created, {dir_})) parents_.push_back(p);
}

static std::set<std::string> words(const std::string& s) {
  std::set<std::string> out;
  std::istringstream in(s);
  std::string w;
  while (in >> w) out.insert(w);
  return out;
}

std::set<std::string> CgroupV2::needed_controllers(const json& r) {
  std::set<std::string> out;
  if (!r.is_object()) return out;
  const json& m = cg::section(r, "memory");
  for (auto* k : {"limit", "reservation", "swap"})
    if (cg::opt_i(m, k).value_or(0) != 0) out.insert("memory");
  const json& c = cg::section(r, "cpu");
  for (auto* k : {"shares", "quota", "period", "idle", "burst"})
    if (cg::present(c, k)) out.insert("cpu");
  for (auto* k : {"cpus", "mems"})
    if (!cg::opt_s(c, k).value_or("").empty()) out.insert("cpuset");
  if (!cg::section(r, "blockIO").is_null()) out.insert("io");
  if (cg::present(r, "pids")) out.insert("pids");
  if (!cg::section(r, "hugepageLimits").is_null()) out.insert("hugetlb");
  if (!cg::section(r, "rdma").is_null()) out.insert("rdma");
  for (auto& [k, v] : cg::section(r, "unified").items()) {
    std::string ctrl = k.substr(0, k.find('.'));
    if (ctrl != "cgroup") out.insert(ctrl);
  }
  return out;
}

bool CgroupV2::controller_available(const std::string& c) const {
  return words(cg::read(root_, "cgroup.controllers").value_or("")).count(c) != 0;
}

Result<> CgroupV2::check_supported(const json& r) const {
  if (!r.is_object()) return {};
  const json& c = cg::section(r, "cpu");
  for (auto* k : {"realtimeRuntime", "realtimePeriod"})
    if (cg::opt_i(c, k).value_or(0) != 0)
      return fail(ErrorKind::Invalid, std::string("linux.resources.cpu.") + k + ": realtime scheduling limits are not supported on cgroup v2");
  const json& m = cg::section(r, "memory");
  BERTH_CHECK(memory_swap_to_v2(cg::opt_i(m, "swap").value_or(0), cg::opt_i(m, "limit").value_or(0)), "");
  auto available = words(cg::read(root_, "cgroup.controllers").value_or(""));
  for (auto& ctrl : needed_controllers(r))
    if (!available.count(ctrl))
      return fail(ErrorKind::Unavailable, "linux.resources: the " + ctrl + " controller is not available in " + root_ + " (cgroup.controllers)");
  return {};
}

Result<std::vector<std::string>> CgroupV2::make_dirs(const std::set<std::string>& controllers) {
  auto created = BERTH_TRY(cg::make_dirs(dir_), "create cgroup");
  // Each ancestor must delegate the controllers to its children (root first).
  if (!controllers.empty()) {
    std::string cur = root_;
    std::istringstream in(path_);
    std::string comp;
    std::vector<std::string> chain = {root_};
    while (std::getline(in, comp, '/'))
      if (!comp.empty()) chain.push_back(cur = cur + "/" + comp);
    chain.pop_back();  // the leaf itself keeps processes, so it must not enable controllers
    for (auto& d : chain) {
      auto have = words(cg::read(d, "cgroup.subtree_control").value_or(""));
      std::string add;
      for (auto& c : controllers)
        if (!have.count(c)) add += (add.empty() ? "+" : " +") + c;
      if (add.empty()) continue;
      if (auto w = cg::write(d, "cgroup.subtree_control", add); !w) {
        cg::remove_created(created);
        return fail(w.error().wrap("enable controllers"));
      }
    }
  }
  return created;
}

Result<> CgroupV2::create(const json& resources) {
  BERTH_CHECK(validate_resources(resources), "");
  BERTH_CHECK(check_supported(resources), "");
  auto created = BERTH_TRY(make_dirs(needed_controllers(resources)), "");
  if (auto r = apply(resources, false); !r) {
    cg::remove_created(created);
    return r;
  }
  note_created(created);
  return {};
}

Result<> CgroupV2::update(const json& resources) {
  BERTH_CHECK(validate_resources(resources), "");
  BERTH_CHECK(check_supported(resources), "");
  if (!berth::is_dir(dir_)) return fail(ErrorKind::NotFound, "update cgroup: " + dir_ + " does not exist");
  // A limit on a controller the cgroup did not need before must be delegated first.
  BERTH_CHECK(make_dirs(needed_controllers(resources)), "update cgroup");
  return apply(resources, true);
}

Result<> CgroupV2::apply(const json& r, bool update) {
  if (!r.is_object()) return {};
  if (cg::present(r, "memory")) BERTH_CHECK(apply_memory(r.at("memory"), update), "");
  if (cg::present(r, "cpu")) BERTH_CHECK(apply_cpu(r.at("cpu")), "");
  if (cg::present(r, "blockIO")) BERTH_CHECK(apply_io(r.at("blockIO")), "");
  // runc: 0 leaves pids.max alone, a negative value lifts the limit.
  if (auto lim = cg::opt_i(cg::section(r, "pids"), "limit"); lim && *lim != 0) {
    if (auto w = cg::write(dir_, "pids.max", *lim > 0 ? std::to_string(*lim) : "max"); !w)
      return fail(cg::field_error("pids.limit", w.error()));
  }
  for (auto& h : cg::section(r, "hugepageLimits")) {
    auto ps = h.at("pageSize").get<std::string>();
    if (auto w = cg::write(dir_, "hugetlb." + ps + ".max", std::to_string(*cg::opt_i(h, "limit"))); !w)
      return fail(cg::field_error("hugepageLimits", w.error()));
  }
  for (auto& [dev, lim] : cg::section(r, "rdma").items()) {
    std::string v = dev;
    if (auto h = cg::opt_i(lim, "hcaHandles")) v += " hca_handle=" + std::to_string(*h);
    if (auto o = cg::opt_i(lim, "hcaObjects")) v += " hca_object=" + std::to_string(*o);
    if (auto w = cg::write(dir_, "rdma.max", v); !w) return fail(cg::field_error("rdma." + dev, w.error()));
  }
  if (!cg::section(r, "network").is_null())
    warn("linux.resources.network is ignored: cgroup v2 has no net_cls/net_prio (use eBPF on the interface)");
  if (cg::present(r, "devices") && r.at("devices").is_array() && !r.at("devices").empty()) {
    if (auto a = attach_device_filter(dir_, r.at("devices")); !a) return fail(cg::field_error("devices", a.error()));
  }
  // Raw v2 settings go last so that they win over the converted v1 values.
  for (auto& [k, v] : cg::section(r, "unified").items()) {
    if (!cg::has(dir_, k))
      return fail(ErrorKind::Invalid, "linux.resources.unified." + k + ": no such cgroup file in " + dir_);
    if (auto w = cg::write(dir_, k, v.get<std::string>()); !w) return fail(cg::field_error("unified." + k, w.error()));
  }
  return {};
}

Result<> CgroupV2::apply_memory(const json& m, bool update) {
  auto w = [&](const char* field, const char* file, const std::string& v) -> Result<> {
    if (auto r = cg::write(dir_, file, v); !r) return fail(cg::field_error(std::string("memory.") + field, r.error()));
    return {};
  };
  int64_t limit = cg::opt_i(m, "limit").value_or(0);
  int64_t swap = BERTH_TRY(memory_swap_to_v2(cg::opt_i(m, "swap").value_or(0), limit), "");
  if (update && cg::opt_b(m, "checkBeforeUpdate").value_or(false) && limit > 0) {
    auto usage = BERTH_TRY(cg::read_u64(dir_, "memory.current"), "linux.resources.memory.checkBeforeUpdate");
    if (static_cast<uint64_t>(limit) < usage)
      return fail(ErrorKind::Invalid, "linux.resources.memory.limit: rejecting memory limit " + std::to_string(limit) +
                                          " below current usage " + std::to_string(usage));
  }
  if (swap != 0) {
    if (!cg::has(dir_, "memory.swap.max")) {
      if (cg::opt_i(m, "swap").value_or(0) != 0)
        return fail(ErrorKind::Unavailable, "linux.resources.memory.swap: swap accounting is not enabled in this kernel");
    } else {
      BERTH_CHECK(w("swap", "memory.swap.max", cg::limit_v2(swap)), "");
    }
  }
  if (limit != 0) BERTH_CHECK(w("limit", "memory.max", cg::limit_v2(limit)), "");
  if (auto v = cg::opt_i(m, "reservation"); v && *v != 0) BERTH_CHECK(w("reservation", "memory.low", cg::limit_v2(*v)), "");
  if (cg::opt_i(m, "kernel").value_or(0) != 0) warn("linux.resources.memory.kernel is ignored on cgroup v2");
  if (cg::opt_i(m, "kernelTCP").value_or(0) != 0) warn("linux.resources.memory.kernelTCP is ignored on cgroup v2");
  if (cg::present(m, "swappiness")) warn("linux.resources.memory.swappiness is ignored on cgroup v2");
  if (cg::opt_b(m, "disableOOMKiller").value_or(false)) warn("linux.resources.memory.disableOOMKiller is ignored on cgroup v2");
  return {};
}

Result<> CgroupV2::apply_cpu(const json& c) {
  auto w = [&](const char* field, const char* file, const std::string& v) -> Result<> {
    if (auto r = cg::write(dir_, file, v); !r) return fail(cg::field_error(std::string("cpu.") + field, r.error()));
    return {};
  };
  if (auto v = cg::opt_i(c, "shares"); v && *v != 0)
    BERTH_CHECK(w("shares", "cpu.weight", std::to_string(cpu_shares_to_weight(static_cast<uint64_t>(*v)))), "");
  int64_t quota = cg::opt_i(c, "quota").value_or(0), period = cg::opt_i(c, "period").value_or(0);
  if (quota != 0 || period != 0) {
    std::string q = quota > 0 ? std::to_string(quota) : "max";
    if (quota == 0) {
      // Only the period changes: keep the quota that is in place.
      auto cur = cg::read(dir_, "cpu.max").value_or("max");
      q = cur.substr(0, cur.find(' '));
    }
    BERTH_CHECK(w(quota != 0 ? "quota" : "period", "cpu.max", period != 0 ? q + " " + std::to_string(period) : q), "");
  }
  if (auto v = cg::opt_i(c, "burst")) BERTH_CHECK(w("burst", "cpu.max.burst", std::to_string(*v)), "");
  if (auto v = cg::opt_i(c, "idle")) BERTH_CHECK(w("idle", "cpu.idle", std::to_string(*v)), "");
  if (auto v = cg::opt_s(c, "cpus"); v && !v->empty()) BERTH_CHECK(w("cpus", "cpuset.cpus", *v), "");
  if (auto v = cg::opt_s(c, "mems"); v && !v->empty()) BERTH_CHECK(w("mems", "cpuset.mems", *v), "");
  return {};
}

Result<> CgroupV2::apply_io(const json& b) {
  auto w = [&](const std::string& field, const std::string& file, const std::string& v) -> Result<> {
    if (auto r = cg::write(dir_, file, v); !r) return fail(cg::field_error("blockIO." + field, r.error()));
    return {};
  };
  // BFQ takes the v1 range as is; io.weight wants the converted one.
  bool bfq = cg::has(dir_, "io.bfq.weight");
  if (auto v = cg::opt_i(b, "weight"); v && *v != 0) {
    if (bfq) BERTH_CHECK(w("weight", "io.bfq.weight", std::to_string(*v)), "");
    else BERTH_CHECK(w("weight", "io.weight", std::to_string(blkio_weight_to_io_weight(static_cast<uint64_t>(*v)))), "");
  }
  if (cg::opt_i(b, "leafWeight").value_or(0) != 0) warn("linux.resources.blockIO.leafWeight is ignored on cgroup v2");
  for (auto& e : cg::section(b, "weightDevice")) {
    auto v = cg::opt_i(e, "weight");
    if (!v || *v == 0) continue;
    if (bfq) BERTH_CHECK(w("weightDevice", "io.bfq.weight", cg::majmin(e) + " " + std::to_string(*v)), "");
    else BERTH_CHECK(w("weightDevice", "io.weight", cg::majmin(e) + " " + std::to_string(blkio_weight_to_io_weight(static_cast<uint64_t>(*v)))), "");
  }
  const std::pair<const char*, const char*> throttles[] = {{"throttleReadBpsDevice", "rbps"},
                                                           {"throttleWriteBpsDevice", "wbps"},
                                                           {"throttleReadIOPSDevice", "riops"},
                                                           {"throttleWriteIOPSDevice", "wiops"}};
  for (auto& [key, name] : throttles)
    for (auto& e : cg::section(b, key)) {
      int64_t rate = *cg::opt_i(e, "rate");
      BERTH_CHECK(w(key, "io.max", cg::majmin(e) + " " + name + "=" + (rate == 0 ? std::string("max") : std::to_string(rate))), "");
    }
  return {};
}

Result<> CgroupV2::add_process(pid_t pid) {
  BERTH_CHECK(cg::add_pid(dir_, pid), "join cgroup");
  return {};
}

// cgroup.events changes raise POLLPRI on an open fd; wait for "frozen 0|1" with a bound.
Result<> CgroupV2::wait_frozen(bool want) {
  std::string file = dir_ + "/cgroup.events";
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_sys("open " + file);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    char buf[512];
    ssize_t n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
    if (n < 0) return fail_sys("read " + file);
    auto kv = cg::parse_keyed(std::string_view(buf, static_cast<size_t>(n)));
    if (kv.count("frozen") && (kv["frozen"] == 1) == want) return {};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return fail(ErrorKind::Unavailable, std::string(want ? "freeze" : "thaw") + ": " + dir_ + " did not reach frozen=" + (want ? "1" : "0") + " within 5s");
    pollfd p{fd.get(), POLLPRI, 0};
    ::poll(&p, 1, static_cast<int>(std::min<long>(left, 100)));
  }
}

Result<> CgroupV2::freeze() {
  BERTH_CHECK(cg::write(dir_, "cgroup.freeze", "1"), "freeze");
  if (auto r = wait_frozen(true); !r) {
    (void)cg::write(dir_, "cgroup.freeze", "0");
    return r;
  }
  return {};
}

Result<> CgroupV2::thaw() {
  BERTH_CHECK(cg::write(dir_, "cgroup.freeze", "0"), "thaw");
  return wait_frozen(false);
}

Result<bool> CgroupV2::frozen() {
  auto v = BERTH_TRY(cg::read(dir_, "cgroup.freeze"), "freezer state");
  if (v != "1") return false;
  auto text = BERTH_TRY(berth::read_file(dir_ + "/cgroup.events"), "freezer state");
  return cg::parse_keyed(text)["frozen"] == 1;
}

Result<std::vector<pid_t>> CgroupV2::pids() { return cg::procs_recursive(dir_); }

Result<json> CgroupV2::stats() { return cgroup_v2_stats(dir_); }

Result<> CgroupV2::destroy() {
  auto procs = BERTH_TRY(pids(), "destroy cgroup");
  if (!procs.empty())
    return fail(ErrorKind::Conflict, "destroy cgroup " + path_ + ": " + std::to_string(procs.size()) + " processes still in it");
  BERTH_CHECK(cg::remove_tree(dir_), "destroy cgroup");
  cg::remove_empty_parents(parents_);
  return {};
}

Result<OomEvents> CgroupV2::oom_events() { return open_oom_events_v2(dir_); }
Result<uint64_t> CgroupV2::oom_kill_count() { return read_oom_kill_count(dir_ + "/memory.events"); }

}  // namespace berth::runtime
