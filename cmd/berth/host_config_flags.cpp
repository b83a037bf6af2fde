#include "host_config_flags.hpp"

#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>

namespace berth::cli {

using nlohmann::json;

namespace {

Result<int64_t> size_flag(const std::string& v, const char* flag) {
  if (auto n = ram_in_bytes(v)) return *n;
  return fail(ErrorKind::Invalid, "invalid argument \"" + v + "\" for \"" + flag + "\" flag: invalid size: '" + v + "'");
}

// "path:rate" (rate a size for bps, a number for iops) -> {Path, Rate}.
Result<json> throttle(const std::string& v, const char* flag, bool bytes) {
  auto colon = v.rfind(':');
  auto bad = [&](const std::string& why) {
    return fail(ErrorKind::Invalid, "invalid argument \"" + v + "\" for \"" + flag + "\" flag: " + why);
  };
  if (colon == std::string::npos) return bad("bad format: " + v);
  auto path = v.substr(0, colon), rate = v.substr(colon + 1);
  if (path.rfind("/dev/", 0) != 0) return bad("bad format for device path: " + v);
  std::optional<int64_t> n;
  if (bytes) n = ram_in_bytes(rate);
  else {
    try {
      size_t used = 0;
      n = std::stoll(rate, &used);
      if (used != rate.size()) n.reset();
    } catch (...) {
    }
  }
  if (!n || *n < 0) return bad("invalid rate for device: " + v + ". The correct format is <device-path>:<number>[<unit>]");
  return json{{"Path", path}, {"Rate", *n}};
}

}  // namespace

std::optional<int64_t> ram_in_bytes(const std::string& s) {
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0) return std::nullopt;
  double num = 0;
  try {
    num = std::stod(s.substr(0, i));
  } catch (...) {
    return std::nullopt;
  }
  std::string unit = s.substr(i);
  if (!unit.empty() && unit[0] == ' ') unit.erase(0, 1);
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // [kmgtp]?i?b?
  double mult = 1;
  size_t k = 0;
  if (k < unit.size() && std::string("kmgtp").find(unit[k]) != std::string::npos) {
    mult = std::pow(1024.0, 1 + static_cast<double>(std::string("kmgtp").find(unit[k])));
    ++k;
  }
  if (k < unit.size() && unit[k] == 'i') ++k;
  if (k < unit.size() && unit[k] == 'b') ++k;
  if (k != unit.size()) return std::nullopt;
  return static_cast<int64_t>(num * mult);
}

void add_update_flags(CLI::App* sub, HostConfigFlags& f) {
  sub->add_option("-m,--memory", f.memory, "Memory limit");
  sub->add_option("--memory-reservation", f.memory_reservation, "Memory soft limit");
  sub->add_option("--memory-swap", f.memory_swap, "Swap limit equal to memory plus swap: '-1' to enable unlimited swap");
  sub->add_option("--kernel-memory", f.kernel_memory, "Kernel memory limit (deprecated)");
  sub->add_option("--cpus", f.cpus, "Number of CPUs");
  sub->add_option("-c,--cpu-shares", f.cpu_shares, "CPU shares (relative weight)");
  sub->add_option("--cpu-period", f.cpu_period, "Limit CPU CFS (Completely Fair Scheduler) period");
  sub->add_option("--cpu-quota", f.cpu_quota, "Limit CPU CFS (Completely Fair Scheduler) quota");
  sub->add_option("--cpuset-cpus", f.cpuset_cpus, "CPUs in which to allow execution (0-3, 0,1)");
  sub->add_option("--cpuset-mems", f.cpuset_mems, "MEMs in which to allow execution (0-3, 0,1)");
  sub->add_option("--pids-limit", f.pids_limit, "Tune container pids limit (set -1 for unlimited)");
  sub->add_option("--blkio-weight", f.blkio_weight, "Block IO (relative weight), between 10 and 1000, or 0 to disable");
}

void add_host_config_flags(CLI::App* sub, HostConfigFlags& f) {
  add_update_flags(sub, f);
  auto many = [&](const char* name, std::vector<std::string>& v, const char* help) {
    sub->add_option(name, v, help)->allow_extra_args(false);
  };
  many("--cap-add", f.cap_add, "Add Linux capabilities");
  many("--cap-drop", f.cap_drop, "Drop Linux capabilities");
  many("--security-opt", f.security_opt, "Security Options");
  many("--group-add", f.group_add, "Add additional groups to join");
  many("--sysctl", f.sysctl, "Sysctl options");
  many("--ulimit", f.ulimit, "Ulimit options");
  many("--device", f.device, "Add a host device to the container");
  many("--device-cgroup-rule", f.device_cgroup_rule, "Add a rule to the cgroup allowed devices list");
  many("--blkio-weight-device", f.blkio_weight_device, "Block IO weight (relative device weight)");
  many("--device-read-bps", f.device_read_bps, "Limit read rate (bytes per second) from a device");
  many("--device-write-bps", f.device_write_bps, "Limit write rate (bytes per second) to a device");
  many("--device-read-iops", f.device_read_iops, "Limit read rate (IO per second) from a device");
  many("--device-write-iops", f.device_write_iops, "Limit write rate (IO per second) to a device");
  sub->add_flag("--privileged", f.privileged, "Give extended privileges to this container");
  sub->add_flag("--read-only", f.read_only, "Mount the container's root filesystem as read only");
  sub->add_flag("--oom-kill-disable", f.oom_kill_disable, "Disable OOM Killer");
  sub->add_option("--oom-score-adj", f.oom_score_adj, "Tune host's OOM preferences (-1000 to 1000)");
  sub->add_option("--memory-swappiness", f.memory_swappiness, "Tune container memory swappiness (0 to 100)");
  sub->add_option("--shm-size", f.shm_size, "Size of /dev/shm");
  sub->add_option("--ipc", f.ipc, "IPC mode to use");
  sub->add_option("--pid", f.pid, "PID namespace to use");
  sub->add_option("--uts", f.uts, "UTS namespace to use");
  sub->add_option("--userns", f.userns, "User namespace to use");
  sub->add_option("--cgroupns", f.cgroupns, "Cgroup namespace to use (host|private)");
  sub->add_option("--cgroup-parent", f.cgroup_parent, "Optional parent cgroup for the container");
}

Result<> apply_host_config_flags(const HostConfigFlags& f, json& hc) {
  if (!f.memory.empty()) hc["Memory"] = BERTH_TRY(size_flag(f.memory, "-m, --memory"), "");
  if (!f.memory_reservation.empty())
    hc["MemoryReservation"] = BERTH_TRY(size_flag(f.memory_reservation, "--memory-reservation"), "");
  if (!f.memory_swap.empty())
    hc["MemorySwap"] = f.memory_swap == "-1" ? int64_t{-1} : BERTH_TRY(size_flag(f.memory_swap, "--memory-swap"), "");
  if (!f.kernel_memory.empty()) hc["KernelMemory"] = BERTH_TRY(size_flag(f.kernel_memory, "--kernel-memory"), "");
  if (!f.shm_size.empty()) hc["ShmSize"] = BERTH_TRY(size_flag(f.shm_size, "--shm-size"), "");
  if (!f.cpus.empty()) {
    double v = 0;
    size_t used = 0;
    try {
      v = std::stod(f.cpus, &used);
    } catch (...) {
      used = 0;
    }
    if (used != f.cpus.size())
      return fail(ErrorKind::Invalid, "invalid argument \"" + f.cpus + "\" for \"--cpus\" flag: failed to parse " + f.cpus +
                                          " as a rational number");
    hc["NanoCpus"] = static_cast<int64_t>(std::llround(v * 1e9));
  }
  auto opt = [&](const char* key, const std::optional<int64_t>& v) {
    if (v) hc[key] = *v;
  };
  opt("CpuShares", f.cpu_shares);
  opt("CpuPeriod", f.cpu_period);
  opt("CpuQuota", f.cpu_quota);
  opt("PidsLimit", f.pids_limit);
  opt("BlkioWeight", f.blkio_weight);
  opt("MemorySwappiness", f.memory_swappiness);
  opt("OomScoreAdj", f.oom_score_adj);
  if (!f.cpuset_cpus.empty()) hc["CpusetCpus"] = f.cpuset_cpus;
  if (!f.cpuset_mems.empty()) hc["CpusetMems"] = f.cpuset_mems;
  if (f.oom_kill_disable) hc["OomKillDisable"] = true;
  if (f.privileged) hc["Privileged"] = true;
  if (f.read_only) hc["ReadonlyRootfs"] = true;
  if (!f.cap_add.empty()) hc["CapAdd"] = f.cap_add;
  if (!f.cap_drop.empty()) hc["CapDrop"] = f.cap_drop;
  if (!f.group_add.empty()) hc["GroupAdd"] = f.group_add;
  if (!f.device_cgroup_rule.empty()) hc["DeviceCgroupRules"] = f.device_cgroup_rule;
  for (auto [key, val] : {std::pair{"IpcMode", &f.ipc}, std::pair{"PidMode", &f.pid}, std::pair{"UTSMode", &f.uts},
                          std::pair{"UsernsMode", &f.userns}, std::pair{"CgroupnsMode", &f.cgroupns},
                          std::pair{"CgroupParent", &f.cgroup_parent}})
    if (!val->empty()) hc[key] = *val;
  // --security-opt seccomp=<file>: the docker client sends the file's JSON itself.
  json sec = json::array();
  for (auto& o : f.security_opt) {
    auto eq = o.find('=');
    if (eq != std::string::npos && o.substr(0, eq) == "seccomp" && o.substr(eq + 1) != "unconfined" &&
        o.substr(eq + 1) != "builtin") {
      auto file = o.substr(eq + 1);
      std::ifstream in(file);
      if (!in) return fail(ErrorKind::Invalid, "opening seccomp profile (" + file + ") failed: no such file or directory");
      std::stringstream ss;
      ss << in.rdbuf();
      auto j = json::parse(ss.str(), nullptr, false);
      if (j.is_discarded())
        return fail(ErrorKind::Invalid, "compacting json for seccomp profile (" + file + ") failed: invalid JSON");
      sec.push_back("seccomp=" + j.dump());
    } else {
      sec.push_back(o);
    }
  }
  if (!sec.empty()) hc["SecurityOpt"] = sec;
  if (!f.sysctl.empty()) {
    json m = json::object();
    for (auto& s : f.sysctl) {
      auto eq = s.find('=');
      if (eq == std::string::npos)
        return fail(ErrorKind::Invalid, "invalid argument \"" + s + "\" for \"--sysctl\" flag: sysctl '" + s + "' is not allowed");
      m[s.substr(0, eq)] = s.substr(eq + 1);
    }
    hc["Sysctls"] = m;
  }
  if (!f.ulimit.empty()) {
    json list = json::array();
    for (auto& u : f.ulimit) {
      auto eq = u.find('=');
      auto bad = [&] { return fail(ErrorKind::Invalid, "invalid argument \"" + u + "\" for \"--ulimit\" flag: invalid ulimit argument: " + u); };
      if (eq == std::string::npos) return bad();
      auto vals = u.substr(eq + 1);
      auto colon = vals.find(':');
      int64_t soft = 0, hard = 0;
      try {
        soft = std::stoll(vals.substr(0, colon));
        hard = colon == std::string::npos ? soft : std::stoll(vals.substr(colon + 1));
      } catch (...) {
        return bad();
      }
      list.push_back({{"Name", u.substr(0, eq)}, {"Soft", soft}, {"Hard", hard}});
    }
    hc["Ulimits"] = list;
  }
  if (!f.device.empty()) {
    json list = json::array();
    for (auto& d : f.device) {
      std::vector<std::string> parts;
      std::stringstream ss(d);
      for (std::string p; std::getline(ss, p, ':');) parts.push_back(p);
      if (parts.empty() || parts.size() > 3) return fail(ErrorKind::Invalid, "invalid device specification: " + d);
      std::string host = parts[0], in = parts.size() > 1 ? parts[1] : parts[0], perms = parts.size() > 2 ? parts[2] : "rwm";
      // host:perms, as docker also takes it
      if (parts.size() == 2 && parts[1].find_first_not_of("rwm") == std::string::npos) in = host, perms = parts[1];
      list.push_back({{"PathOnHost", host}, {"PathInContainer", in}, {"CgroupPermissions", perms}});
    }
    hc["Devices"] = list;
  }
  for (auto [key, vals, flag, bytes] :
       {std::tuple{"BlkioDeviceReadBps", &f.device_read_bps, "--device-read-bps", true},
        std::tuple{"BlkioDeviceWriteBps", &f.device_write_bps, "--device-write-bps", true},
        std::tuple{"BlkioDeviceReadIOps", &f.device_read_iops, "--device-read-iops", false},
        std::tuple{"BlkioDeviceWriteIOps", &f.device_write_iops, "--device-write-iops", false}}) {
    if (vals->empty()) continue;
    json list = json::array();
    for (auto& v : *vals) list.push_back(BERTH_TRY(throttle(v, flag, bytes), ""));
    hc[key] = list;
  }
  if (!f.blkio_weight_device.empty()) {
    json list = json::array();
    for (auto& v : f.blkio_weight_device) {
      auto t = BERTH_TRY(throttle(v, "--blkio-weight-device", false), "");
      list.push_back({{"Path", t["Path"]}, {"Weight", t["Rate"]}});
    }
    hc["BlkioWeightDevice"] = list;
  }
  return {};
}

}  // namespace berth::cli
