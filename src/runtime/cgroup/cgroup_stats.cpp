#include "runtime/cgroup/cgroup_stats.hpp"

#include <unistd.h>

#include <sstream>

#include "common/fs.hpp"
#include "runtime/cgroup/cgroup_fs.hpp"

namespace berth::runtime {

using nlohmann::json;

namespace {

uint64_t num(const std::string& dir, const std::string& file) { return cg::read_u64(dir, file).value_or(0); }

std::map<std::string, uint64_t> keyed(const std::string& dir, const std::string& file) {
  auto t = berth::read_file(dir + "/" + file);
  return t ? cg::parse_keyed(*t) : std::map<std::string, uint64_t>{};
}

uint64_t get(const std::map<std::string, uint64_t>& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? 0 : it->second;
}

// v1 blkio files: "254:0 Read 4096" lines plus a "Total N" line.
json blkio_entries_v1(const std::string& dir, const std::string& file) {
  json out = json::array();
  auto t = berth::read_file(dir + "/" + file);
  if (!t) return out;
  std::istringstream in(*t);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    std::string dev, op;
    uint64_t v = 0;
    if (!(l >> dev >> op >> v)) continue;
    auto colon = dev.find(':');
    if (colon == std::string::npos) continue;
    out.push_back({{"major", std::stoull(dev.substr(0, colon))}, {"minor", std::stoull(dev.substr(colon + 1))}, {"op", op}, {"value", v}});
  }
  return out;
}

json memory_entry_v1(const std::string& d, const std::string& prefix) {
  return {{"usage", num(d, prefix + ".usage_in_bytes")},
          {"max", num(d, prefix + ".max_usage_in_bytes")},
          {"failcnt", num(d, prefix + ".failcnt")},
          {"limit", num(d, prefix + ".limit_in_bytes")}};
}

// "0-2,5" -> [0,1,2,5]
json expand_list(const std::string& s) {
  json out = json::array();
  std::istringstream in(s);
  std::string part;
  while (std::getline(in, part, ',')) {
    auto dash = part.find('-');
    try {
      uint64_t a = std::stoull(part.substr(0, dash)), b = dash == std::string::npos ? a : std::stoull(part.substr(dash + 1));
      for (uint64_t i = a; i <= b && i - a < 65536; ++i) out.push_back(i);
    } catch (...) {
      continue;
    }
  }
  return out;
}

json cpuset_stats(const std::string& d, const char* cpus_file, const char* mems_file, bool v1) {
  json c = {{"cpus", expand_list(cg::read(d, cpus_file).value_or(""))}, {"mems", expand_list(cg::read(d, mems_file).value_or(""))}};
  if (v1) {
    for (auto* k : {"cpu_exclusive", "mem_hardwall", "mem_exclusive", "memory_migrate", "memory_spread_page", "memory_spread_slab",
                    "memory_pressure", "sched_load_balance"})
      c[k] = num(d, std::string("cpuset.") + k);
    auto relax = cg::read(d, "cpuset.sched_relax_domain_level");
    try {
      c["sched_relax_domain_level"] = relax ? std::stoll(*relax) : 0;
    } catch (...) {
      c["sched_relax_domain_level"] = 0;
    }
  }
  return c;
}

// Keys runc always prints, so consumers see the same shape.
void runc_shape(json& s) {
  if (!s.contains("hugetlb")) s["hugetlb"] = json::object();
  s["intel_rdt"] = json::object();
  s["network_interfaces"] = nullptr;
}

}  // namespace

Result<json> cgroup_v1_stats(const std::map<std::string, std::string>& dirs) {
  auto dir = [&](const char* c) -> const std::string* {
    auto it = dirs.find(c);
    return it == dirs.end() ? nullptr : &it->second;
  };
  json s = json::object();
  if (auto* d = dir("cpuacct")) {
    json usage = {{"total", num(*d, "cpuacct.usage")}};
    auto list = [&](const char* f) {
      auto t = berth::read_file(*d + "/" + f);
      return t ? cg::parse_list(*t) : std::vector<uint64_t>{};
    };
    usage["percpu"] = list("cpuacct.usage_percpu");
    usage["percpu_kernel"] = list("cpuacct.usage_percpu_sys");
    usage["percpu_user"] = list("cpuacct.usage_percpu_user");
    // cpuacct.stat counts USER_HZ ticks; runc reports nanoseconds.
    auto st = keyed(*d, "cpuacct.stat");
    uint64_t ns_per_tick = 1000000000ull / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
    usage["kernel"] = get(st, "system") * ns_per_tick;
    usage["user"] = get(st, "user") * ns_per_tick;
    s["cpu"]["usage"] = usage;
  }
  if (auto* d = dir("cpu")) {
    auto st = keyed(*d, "cpu.stat");
    s["cpu"]["throttling"] = {{"periods", get(st, "nr_periods")},
                              {"throttled_periods", get(st, "nr_throttled")},
                              {"throttled_time", get(st, "throttled_time")}};
  }
  if (auto* d = dir("memory")) {
    auto raw = keyed(*d, "memory.stat");
    json m = {{"cache", raw.count("total_cache") ? raw["total_cache"] : get(raw, "cache")},
              {"usage", memory_entry_v1(*d, "memory")},
              {"raw", raw}};
    if (cg::has(*d, "memory.memsw.usage_in_bytes")) m["swap"] = memory_entry_v1(*d, "memory.memsw");
    if (cg::has(*d, "memory.kmem.usage_in_bytes")) m["kernel"] = memory_entry_v1(*d, "memory.kmem");
    if (cg::has(*d, "memory.kmem.tcp.usage_in_bytes")) m["kernelTCP"] = memory_entry_v1(*d, "memory.kmem.tcp");
    s["memory"] = m;
  }
  if (auto* d = dir("pids")) {
    uint64_t lim = num(*d, "pids.max");
    s["pids"] = {{"current", num(*d, "pids.current")}, {"limit", lim == cg::kMax ? 0 : lim}};
  }
  if (auto* d = dir("blkio")) {
    // CFQ's files when present, else BFQ's, else the throttling layer's counters.
    std::string pre = cg::has(*d, "blkio.io_service_bytes_recursive") ? "blkio."
                      : cg::has(*d, "blkio.bfq.io_service_bytes_recursive") ? "blkio.bfq."
                                                                               : "blkio.throttle.";
    s["blkio"] = {{"ioServiceBytesRecursive", blkio_entries_v1(*d, pre + "io_service_bytes_recursive")},
                  {"ioServicedRecursive", blkio_entries_v1(*d, pre + "io_serviced_recursive")}};
  }
  if (auto* d = dir("hugetlb")) {
    json h = json::object();
    for (auto& ps : cg::hugepage_sizes())
      h[ps] = {{"usage", num(*d, "hugetlb." + ps + ".usage_in_bytes")},
               {"max", num(*d, "hugetlb." + ps + ".max_usage_in_bytes")},
               {"failcnt", num(*d, "hugetlb." + ps + ".failcnt")}};
    s["hugetlb"] = h;
  }
  if (auto* d = dir("cpuset")) s["cpuset"] = cpuset_stats(*d, "cpuset.cpus", "cpuset.mems", true);
  runc_shape(s);
  return s;
}

Result<json> cgroup_v2_stats(const std::string& d) {
  if (!berth::is_dir(d)) return fail(ErrorKind::NotFound, "stats: cgroup " + d + " does not exist");
  json s = json::object();
  auto cpu = keyed(d, "cpu.stat");
  s["cpu"] = {{"usage", {{"total", get(cpu, "usage_usec") * 1000},
                         {"kernel", get(cpu, "system_usec") * 1000},
                         {"user", get(cpu, "user_usec") * 1000},
                         {"percpu", json::array()}}},
              {"throttling", {{"periods", get(cpu, "nr_periods")},
                              {"throttled_periods", get(cpu, "nr_throttled")},
                              {"throttled_time", get(cpu, "throttled_usec") * 1000}}}};
  if (cg::has(d, "memory.current")) {
    auto raw = keyed(d, "memory.stat");
    auto events = keyed(d, "memory.events");
    uint64_t usage = num(d, "memory.current");
    json m = {{"cache", get(raw, "file")},
              {"usage", {{"usage", usage}, {"limit", num(d, "memory.max")}, {"failcnt", get(events, "max")},
                         {"max", cg::has(d, "memory.peak") ? num(d, "memory.peak") : 0}}},
              {"raw", raw}};
    if (cg::has(d, "memory.swap.current")) {
      // runc reports v2 swap as memory+swap, the v1 meaning.
      uint64_t swap = num(d, "memory.swap.current"), swap_max = num(d, "memory.swap.max"), mem_max = num(d, "memory.max");
      uint64_t lim = swap_max == cg::kMax || mem_max == cg::kMax ? cg::kMax : swap_max + mem_max;
      m["swap"] = {{"usage", usage + swap}, {"limit", lim}, {"failcnt", 0}};
    }
    s["memory"] = m;
  }
  if (cg::has(d, "pids.current")) {
    uint64_t lim = num(d, "pids.max");
    s["pids"] = {{"current", num(d, "pids.current")}, {"limit", lim == cg::kMax ? 0 : lim}};
  }
  if (cg::has(d, "io.stat")) {
    json bytes = json::array(), ios = json::array();
    std::istringstream in(berth::read_file(d + "/io.stat").value_or(""));
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream l(line);
      std::string dev, kv;
      l >> dev;
      auto colon = dev.find(':');
      if (colon == std::string::npos) continue;
      uint64_t maj = std::stoull(dev.substr(0, colon)), min = std::stoull(dev.substr(colon + 1));
      while (l >> kv) {
        auto eq = kv.find('=');
        if (eq == std::string::npos) continue;
        std::string k = kv.substr(0, eq);
        uint64_t v = std::stoull(kv.substr(eq + 1));
        auto entry = [&](const char* op) { return json{{"major", maj}, {"minor", min}, {"op", op}, {"value", v}}; };
        if (k == "rbytes") bytes.push_back(entry("Read"));
        else if (k == "wbytes") bytes.push_back(entry("Write"));
        else if (k == "rios") ios.push_back(entry("Read"));
        else if (k == "wios") ios.push_back(entry("Write"));
      }
    }
    s["blkio"] = {{"ioServiceBytesRecursive", bytes}, {"ioServicedRecursive", ios}};
  }
  json h = json::object();
  for (auto& ps : cg::hugepage_sizes()) {
    if (!cg::has(d, "hugetlb." + ps + ".current")) continue;
    h[ps] = {{"usage", num(d, "hugetlb." + ps + ".current")},
             {"max", num(d, "hugetlb." + ps + ".max")},
             {"failcnt", get(keyed(d, "hugetlb." + ps + ".events"), "max")}};
  }
  if (!h.empty()) s["hugetlb"] = h;
  if (cg::has(d, "cpuset.cpus.effective")) s["cpuset"] = cpuset_stats(d, "cpuset.cpus.effective", "cpuset.mems.effective", false);
  runc_shape(s);
  return s;
}

}  // namespace berth::runtime
