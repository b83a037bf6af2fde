// linux.resources checked before any cgroup is created: types, ranges, device rules, block
// devices that must exist, unified keys. Every error names the field.
#include <cctype>
#include <cstdint>
#include <set>
#include <string>

#include "common/log.hpp"
#include "common/fs.hpp"
#include "runtime/cgroup/cgroup.hpp"
#include "runtime/cgroup/cgroup_fs.hpp"

namespace berth::runtime {

using nlohmann::json;

namespace {

const std::string kBase = "linux.resources";

Error bad(const std::string& field, const std::string& why) { return make_error(ErrorKind::Invalid, field + ": " + why); }

bool present(const json& obj, const char* key) { return obj.contains(key) && !obj.at(key).is_null(); }

Result<> object_with(const json& obj, const std::string& field, std::initializer_list<const char*> keys) {
  if (!obj.is_object()) return fail(bad(field, "expected object, got " + std::string(obj.type_name())));
  for (auto& [k, v] : obj.items()) {
    bool known = false;
    for (auto* key : keys) known = known || k == key;
    // The OCI spec: implementations MUST ignore unknown properties (newer clients add fields).
    if (!known) log::debug(field + "." + k + ": unknown field ignored");
  }
  return {};
}

// Integer within [lo, hi]; -1 allowed where "unlimited" makes sense (lo = -1).
Result<> integer(const json& obj, const char* key, const std::string& field, int64_t lo, int64_t hi) {
  if (!present(obj, key)) return {};
  const json& v = obj.at(key);
  std::string f = field + "." + key;
  if (v.is_number_unsigned()) {
    if (v.get<uint64_t>() > static_cast<uint64_t>(hi)) return fail(bad(f, "value " + v.dump() + " is out of range (max " + std::to_string(hi) + ")"));
    return {};
  }
  if (!v.is_number_integer()) return fail(bad(f, "expected integer, got " + std::string(v.type_name())));
  int64_t n = v.get<int64_t>();
  if (n < lo) {
    if (lo == 0) return fail(bad(f, "must not be negative (got " + std::to_string(n) + ")"));
    return fail(bad(f, "value " + std::to_string(n) + " is out of range (min " + std::to_string(lo) + ")"));
  }
  if (n > hi) return fail(bad(f, "value " + std::to_string(n) + " is out of range (max " + std::to_string(hi) + ")"));
  return {};
}

Result<> boolean(const json& obj, const char* key, const std::string& field) {
  if (present(obj, key) && !obj.at(key).is_boolean())
    return fail(bad(field + "." + key, "expected boolean, got " + std::string(obj.at(key).type_name())));
  return {};
}

int64_t get_i(const json& obj, const char* key) {
  if (!present(obj, key)) return 0;
  const json& v = obj.at(key);
  if (v.is_number_unsigned()) return v.get<uint64_t>() > INT64_MAX ? INT64_MAX : static_cast<int64_t>(v.get<uint64_t>());
  return v.get<int64_t>();
}

// "0-3,5,7-8": the kernel's cpu/mem list syntax.
Result<> cpu_list(const json& obj, const char* key, const std::string& field) {
  if (!present(obj, key)) return {};
  const json& v = obj.at(key);
  std::string f = field + "." + key;
  if (!v.is_string()) return fail(bad(f, "expected string, got " + std::string(v.type_name())));
  std::string s = v.get<std::string>();
  if (s.empty()) return {};
  size_t i = 0;
  while (i < s.size()) {
    auto num = [&](unsigned long& out) {
      size_t st = i;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
      if (i == st || i - st > 6) return false;
      out = std::stoul(s.substr(st, i - st));
      return true;
    };
    unsigned long a = 0, b = 0;
    if (!num(a)) return fail(bad(f, "\"" + s + "\" is not a list like 0-3,5"));
    if (i < s.size() && s[i] == '-') {
      ++i;
      if (!num(b) || b < a) return fail(bad(f, "\"" + s + "\" is not a list like 0-3,5"));
    }
    if (i < s.size()) {
      if (s[i] != ',' || i + 1 == s.size()) return fail(bad(f, "\"" + s + "\" is not a list like 0-3,5"));
      ++i;
    }
  }
  return {};
}

Result<> memory(const json& m, const std::string& f) {
  BERTH_CHECK(object_with(m, f, {"limit", "reservation", "swap", "kernel", "kernelTCP", "swappiness", "disableOOMKiller",
                                 "useHierarchy", "checkBeforeUpdate"}), "");
  for (auto* k : {"limit", "reservation", "swap", "kernel", "kernelTCP"}) BERTH_CHECK(integer(m, k, f, -1, INT64_MAX), "");
  BERTH_CHECK(integer(m, "swappiness", f, 0, 100), "");
  for (auto* k : {"disableOOMKiller", "useHierarchy", "checkBeforeUpdate"}) BERTH_CHECK(boolean(m, k, f), "");
  int64_t limit = get_i(m, "limit"), swap = get_i(m, "swap");
  if (limit > 0 && swap > 0 && swap < limit)
    return fail(bad(f + ".swap", "memory+swap limit " + std::to_string(swap) + " is lower than the memory limit " + std::to_string(limit)));
  if (limit == -1 && swap > 0)
    return fail(bad(f + ".swap", "a memory+swap limit needs a memory limit (limit is -1, unlimited)"));
  return {};
}

Result<> cpu(const json& c, const std::string& f) {
  BERTH_CHECK(object_with(c, f, {"shares", "quota", "burst", "period", "realtimeRuntime", "realtimePeriod", "cpus", "mems", "idle"}), "");
  BERTH_CHECK(integer(c, "shares", f, 0, 262144), "");
  BERTH_CHECK(integer(c, "quota", f, -1, INT64_MAX), "");
  BERTH_CHECK(integer(c, "period", f, 0, 1000000), "");
  BERTH_CHECK(integer(c, "burst", f, 0, INT64_MAX), "");
  BERTH_CHECK(integer(c, "realtimeRuntime", f, -1, INT64_MAX), "");
  BERTH_CHECK(integer(c, "realtimePeriod", f, 0, INT64_MAX), "");
  BERTH_CHECK(integer(c, "idle", f, 0, 1), "");
  BERTH_CHECK(cpu_list(c, "cpus", f), "");
  BERTH_CHECK(cpu_list(c, "mems", f), "");
  int64_t quota = get_i(c, "quota"), period = get_i(c, "period"), burst = get_i(c, "burst");
  // The kernel's CFS bandwidth unit is 1ms..1s per period; anything else has no meaning.
  if (period != 0 && period < 1000) return fail(bad(f + ".period", "must be between 1000 and 1000000 microseconds (got " + std::to_string(period) + ")"));
  if (quota > 0 && quota < 1000) return fail(bad(f + ".quota", "must be -1 (unlimited) or at least 1000 microseconds (got " + std::to_string(quota) + ")"));
  if (burst > 0 && quota > 0 && burst > quota) return fail(bad(f + ".burst", "burst " + std::to_string(burst) + " exceeds the quota " + std::to_string(quota)));
  if (burst > 0 && quota == -1) return fail(bad(f + ".burst", "a burst needs a quota (quota is -1, unlimited)"));
  int64_t rt = get_i(c, "realtimeRuntime"), rtp = get_i(c, "realtimePeriod");
  if (rt > 0 && rtp > 0 && rt > rtp)
    return fail(bad(f + ".realtimeRuntime", "runtime " + std::to_string(rt) + " exceeds the period " + std::to_string(rtp)));
  return {};
}

Result<> block_device_entry(const json& e, const std::string& f, bool weights) {
  if (weights) BERTH_CHECK(object_with(e, f, {"major", "minor", "weight", "leafWeight"}), "");
  else BERTH_CHECK(object_with(e, f, {"major", "minor", "rate"}), "");
  if (!present(e, "major") || !present(e, "minor")) return fail(bad(f, "major and minor are required"));
  BERTH_CHECK(integer(e, "major", f, 0, 0xfff), "");
  BERTH_CHECK(integer(e, "minor", f, 0, 0xfffff), "");
  if (weights) {
    BERTH_CHECK(integer(e, "weight", f, 0, 1000), "");
    BERTH_CHECK(integer(e, "leafWeight", f, 0, 1000), "");
    for (auto* k : {"weight", "leafWeight"})
      if (present(e, k) && get_i(e, k) != 0 && get_i(e, k) < 10) return fail(bad(f + "." + k, "must be between 10 and 1000"));
  } else {
    if (!present(e, "rate")) return fail(bad(f + ".rate", "required"));
    BERTH_CHECK(integer(e, "rate", f, 0, INT64_MAX), "");
  }
  int64_t maj = get_i(e, "major"), min = get_i(e, "minor");
  if (!cg::block_device_exists(maj, min))
    return fail(bad(f, "block device " + std::to_string(maj) + ":" + std::to_string(min) + " does not exist"));
  return {};
}

Result<> block_io(const json& b, const std::string& f) {
  BERTH_CHECK(object_with(b, f, {"weight", "leafWeight", "weightDevice", "throttleReadBpsDevice", "throttleWriteBpsDevice",
                                 "throttleReadIOPSDevice", "throttleWriteIOPSDevice"}), "");
  for (auto* k : {"weight", "leafWeight"}) {
    BERTH_CHECK(integer(b, k, f, 0, 1000), "");
    if (get_i(b, k) != 0 && get_i(b, k) < 10) return fail(bad(f + "." + k, "must be between 10 and 1000 (got " + std::to_string(get_i(b, k)) + ")"));
  }
  for (auto* k : {"weightDevice", "throttleReadBpsDevice", "throttleWriteBpsDevice", "throttleReadIOPSDevice", "throttleWriteIOPSDevice"}) {
    if (!present(b, k)) continue;
    std::string fk = f + "." + k;
    if (!b.at(k).is_array()) return fail(bad(fk, "expected array"));
    for (size_t i = 0; i < b.at(k).size(); ++i)
      BERTH_CHECK(block_device_entry(b.at(k)[i], fk + "[" + std::to_string(i) + "]", std::string(k) == "weightDevice"), "");
  }
  return {};
}

Result<> devices(const json& d, const std::string& f) {
  if (!d.is_array()) return fail(bad(f, "expected array"));
  for (size_t i = 0; i < d.size(); ++i) {
    std::string fi = f + "[" + std::to_string(i) + "]";
    const json& r = d[i];
    BERTH_CHECK(object_with(r, fi, {"allow", "type", "major", "minor", "access"}), "");
    if (!present(r, "allow") || !r.at("allow").is_boolean()) return fail(bad(fi + ".allow", "required boolean"));
    if (present(r, "type")) {
      if (!r.at("type").is_string()) return fail(bad(fi + ".type", "expected string"));
      auto t = r.at("type").get<std::string>();
      if (t != "a" && t != "c" && t != "b") return fail(bad(fi + ".type", "\"" + t + "\" is not a, c or b"));
    }
    BERTH_CHECK(integer(r, "major", fi, -1, INT32_MAX), "");
    BERTH_CHECK(integer(r, "minor", fi, -1, INT32_MAX), "");
    if (present(r, "access")) {
      if (!r.at("access").is_string()) return fail(bad(fi + ".access", "expected string"));
      auto a = r.at("access").get<std::string>();
      std::set<char> seen;
      for (char c : a)
        if ((c != 'r' && c != 'w' && c != 'm') || !seen.insert(c).second)
          return fail(bad(fi + ".access", "\"" + a + "\" is not a combination of r, w and m"));
    }
  }
  return {};
}

Result<> hugepages(const json& h, const std::string& f) {
  if (!h.is_array()) return fail(bad(f, "expected array"));
  for (size_t i = 0; i < h.size(); ++i) {
    std::string fi = f + "[" + std::to_string(i) + "]";
    BERTH_CHECK(object_with(h[i], fi, {"pageSize", "limit"}), "");
    if (!present(h[i], "pageSize") || !h[i].at("pageSize").is_string()) return fail(bad(fi + ".pageSize", "required string like \"2MB\""));
    if (!present(h[i], "limit")) return fail(bad(fi + ".limit", "required"));
    BERTH_CHECK(integer(h[i], "limit", fi, 0, INT64_MAX), "");
    auto ps = h[i].at("pageSize").get<std::string>();
    size_t n = 0;
    while (n < ps.size() && std::isdigit(static_cast<unsigned char>(ps[n]))) ++n;
    std::string unit = ps.substr(n);
    uint64_t kb = 0;
    if (n == 0 || n > 9) return fail(bad(fi + ".pageSize", "\"" + ps + "\" is not a size like 2MB"));
    uint64_t num = std::stoull(ps.substr(0, n));
    if (unit == "KB") kb = num;
    else if (unit == "MB") kb = num * 1024;
    else if (unit == "GB") kb = num * 1024 * 1024;
    else return fail(bad(fi + ".pageSize", "\"" + ps + "\" is not a size like 2MB"));
    if (!berth::is_dir("/sys/kernel/mm/hugepages/hugepages-" + std::to_string(kb) + "kB"))
      return fail(bad(fi + ".pageSize", "huge page size " + ps + " is not supported by this kernel"));
  }
  return {};
}

Result<> network(const json& n, const std::string& f) {
  BERTH_CHECK(object_with(n, f, {"classID", "priorities"}), "");
  BERTH_CHECK(integer(n, "classID", f, 0, UINT32_MAX), "");
  if (present(n, "priorities")) {
    if (!n.at("priorities").is_array()) return fail(bad(f + ".priorities", "expected array"));
    for (size_t i = 0; i < n.at("priorities").size(); ++i) {
      std::string fi = f + ".priorities[" + std::to_string(i) + "]";
      const json& p = n.at("priorities")[i];
      BERTH_CHECK(object_with(p, fi, {"name", "priority"}), "");
      if (!present(p, "name") || !p.at("name").is_string()) return fail(bad(fi + ".name", "required string"));
      auto name = p.at("name").get<std::string>();
      if (name.empty() || name.size() > 15 || name.find_first_of("/ \n:") != std::string::npos)
        return fail(bad(fi + ".name", "\"" + name + "\" is not an interface name"));
      BERTH_CHECK(integer(p, "priority", fi, 0, UINT32_MAX), "");
    }
  }
  return {};
}

Result<> rdma(const json& r, const std::string& f) {
  if (!r.is_object()) return fail(bad(f, "expected object"));
  for (auto& [dev, lim] : r.items()) {
    std::string fd = f + "." + dev;
    if (dev.empty() || dev.find_first_of("/ \n=") != std::string::npos) return fail(bad(fd, "not a device name"));
    BERTH_CHECK(object_with(lim, fd, {"hcaHandles", "hcaObjects"}), "");
    BERTH_CHECK(integer(lim, "hcaHandles", fd, 0, UINT32_MAX), "");
    BERTH_CHECK(integer(lim, "hcaObjects", fd, 0, UINT32_MAX), "");
  }
  return {};
}

const std::set<std::string> kUnifiedControllers = {"cgroup", "cpu", "cpuset", "io", "memory", "pids", "hugetlb", "rdma", "misc"};

Result<> unified(const json& u, const std::string& f) {
  if (!u.is_object()) return fail(bad(f, "expected object"));
  for (auto& [k, v] : u.items()) {
    std::string fk = f + "." + k;
    if (!v.is_string()) return fail(bad(fk, "expected string value"));
    auto dot = k.find('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == k.size() || k.find('/') != std::string::npos || k.find("..") != std::string::npos)
      return fail(bad(fk, "not a cgroup v2 interface file name"));
    if (!kUnifiedControllers.count(k.substr(0, dot))) return fail(bad(fk, "unknown controller \"" + k.substr(0, dot) + "\""));
    // These move processes or reshape the tree: the runtime owns them.
    if (k == "cgroup.procs" || k == "cgroup.threads" || k == "cgroup.subtree_control" || k == "cgroup.type" || k == "cgroup.kill")
      return fail(bad(fk, "may not be set through linux.resources.unified"));
  }
  return {};
}

}  // namespace

Result<> validate_resources(const json& r) {
  if (r.is_null()) return {};
  BERTH_CHECK(object_with(r, kBase, {"devices", "memory", "cpu", "blockIO", "pids", "hugepageLimits", "network", "rdma", "unified"}), "");
  if (present(r, "memory")) BERTH_CHECK(memory(r.at("memory"), kBase + ".memory"), "");
  if (present(r, "cpu")) BERTH_CHECK(cpu(r.at("cpu"), kBase + ".cpu"), "");
  if (present(r, "blockIO")) BERTH_CHECK(block_io(r.at("blockIO"), kBase + ".blockIO"), "");
  if (present(r, "pids")) {
    BERTH_CHECK(object_with(r.at("pids"), kBase + ".pids", {"limit"}), "");
    BERTH_CHECK(integer(r.at("pids"), "limit", kBase + ".pids", -1, INT64_MAX), "");
  }
  if (present(r, "hugepageLimits")) BERTH_CHECK(hugepages(r.at("hugepageLimits"), kBase + ".hugepageLimits"), "");
  if (present(r, "devices")) BERTH_CHECK(devices(r.at("devices"), kBase + ".devices"), "");
  if (present(r, "network")) BERTH_CHECK(network(r.at("network"), kBase + ".network"), "");
  if (present(r, "rdma")) BERTH_CHECK(rdma(r.at("rdma"), kBase + ".rdma"), "");
  if (present(r, "unified")) BERTH_CHECK(unified(r.at("unified"), kBase + ".unified"), "");
  return {};
}

}  // namespace berth::runtime
