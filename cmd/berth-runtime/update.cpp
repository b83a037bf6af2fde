// `update`: runc's flags and -r resources.json (or - for stdin) -> linux.resources -> cgroup.
#include <cctype>
#include <iostream>
#include <iterator>
#include <optional>

#include "common/fs.hpp"
#include "common/json_util.hpp"
#include "runtime/cgroup/cgroup_verbs.hpp"
#include "verbs.hpp"

namespace berth::cli {

namespace {

// docker/go-units RAMInBytes: "64m", "1GiB", "1024", "-1" (binary multiples).
Result<int64_t> parse_bytes(const std::string& flag, const std::string& s) {
  if (s == "-1") return -1;
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0) return fail(ErrorKind::Invalid, "--" + flag + ": \"" + s + "\" is not a size");
  double num = std::stod(s.substr(0, i));
  std::string unit;
  for (char c : s.substr(i))
    if (c != ' ') unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (unit.ends_with("ib")) unit = unit.substr(0, unit.size() - 2);
  else if (unit.size() > 1 && unit.back() == 'b') unit.pop_back();
  double mult = 1;
  if (unit.empty() || unit == "b") mult = 1;
  else if (unit == "k") mult = 1024.0;
  else if (unit == "m") mult = 1024.0 * 1024;
  else if (unit == "g") mult = 1024.0 * 1024 * 1024;
  else if (unit == "t") mult = 1024.0 * 1024 * 1024 * 1024;
  else return fail(ErrorKind::Invalid, "--" + flag + ": \"" + s + "\" has an unknown unit");
  return static_cast<int64_t>(num * mult);
}

Result<int64_t> parse_int(const std::string& flag, const std::string& s) {
  try {
    size_t used = 0;
    long long v = std::stoll(s, &used);
    if (used != s.size()) throw std::invalid_argument(s);
    return v;
  } catch (...) {
    return fail(ErrorKind::Invalid, "--" + flag + ": \"" + s + "\" is not an integer");
  }
}

struct UpdateFlags {
  std::string id, resources;
  std::optional<std::string> memory, reservation, swap, kernel, kernel_tcp;
  std::optional<std::string> shares, quota, period, rt_runtime, rt_period, blkio_weight, pids;
  std::optional<std::string> cpus, mems;
};

Result<nlohmann::json> build(const UpdateFlags& f) {
  nlohmann::json r = nlohmann::json::object();
  if (!f.resources.empty()) {
    std::string text;
    if (f.resources == "-") text.assign(std::istreambuf_iterator<char>(std::cin), {});
    else text = BERTH_TRY(read_file(f.resources), "--resources");
    r = BERTH_TRY(parse_json(text, "--resources " + f.resources), "");
    if (!r.is_object()) return fail(ErrorKind::Invalid, "--resources: expected a JSON object (linux.resources)");
  }
  // Flags win over the file, as in runc.
  auto bytes = [&](const std::optional<std::string>& v, const char* flag, const char* sec, const char* key) -> Result<> {
    if (v) r[sec][key] = BERTH_TRY(parse_bytes(flag, *v), "");
    return {};
  };
  auto integer = [&](const std::optional<std::string>& v, const char* flag, const char* sec, const char* key) -> Result<> {
    if (v) r[sec][key] = BERTH_TRY(parse_int(flag, *v), "");
    return {};
  };
  BERTH_CHECK(bytes(f.memory, "memory", "memory", "limit"), "");
  BERTH_CHECK(bytes(f.reservation, "memory-reservation", "memory", "reservation"), "");
  BERTH_CHECK(bytes(f.swap, "memory-swap", "memory", "swap"), "");
  BERTH_CHECK(bytes(f.kernel, "kernel-memory", "memory", "kernel"), "");
  BERTH_CHECK(bytes(f.kernel_tcp, "kernel-memory-tcp", "memory", "kernelTCP"), "");
  BERTH_CHECK(integer(f.shares, "cpu-share", "cpu", "shares"), "");
  BERTH_CHECK(integer(f.quota, "cpu-quota", "cpu", "quota"), "");
  BERTH_CHECK(integer(f.period, "cpu-period", "cpu", "period"), "");
  BERTH_CHECK(integer(f.rt_runtime, "cpu-rt-runtime", "cpu", "realtimeRuntime"), "");
  BERTH_CHECK(integer(f.rt_period, "cpu-rt-period", "cpu", "realtimePeriod"), "");
  BERTH_CHECK(integer(f.blkio_weight, "blkio-weight", "blockIO", "weight"), "");
  BERTH_CHECK(integer(f.pids, "pids-limit", "pids", "limit"), "");
  if (f.cpus) r["cpu"]["cpus"] = *f.cpus;
  if (f.mems) r["cpu"]["mems"] = *f.mems;
  return r;
}

}  // namespace

void add_update(CLI::App& app, Globals& g) {
  static UpdateFlags f;
  auto* s = app.add_subcommand("update", "update container resource constraints");
  s->add_option("id", f.id, "container id")->required();
  s->add_option("-r,--resources", f.resources, "file with linux.resources JSON, or - for stdin");
  s->add_option("--memory", f.memory, "memory limit (bytes, or with k/m/g)");
  s->add_option("--memory-reservation", f.reservation, "memory soft limit");
  s->add_option("--memory-swap", f.swap, "memory plus swap limit (-1: unlimited)");
  s->add_option("--kernel-memory", f.kernel, "kernel memory limit (ignored by recent kernels)");
  s->add_option("--kernel-memory-tcp", f.kernel_tcp, "kernel TCP buffer limit");
  s->add_option("--cpu-share,--cpu-shares", f.shares, "CPU shares (relative weight)");
  s->add_option("--cpu-quota", f.quota, "CPU CFS quota in microseconds per period (-1: unlimited)");
  s->add_option("--cpu-period", f.period, "CPU CFS period in microseconds");
  s->add_option("--cpu-rt-runtime", f.rt_runtime, "realtime runtime in microseconds per period");
  s->add_option("--cpu-rt-period", f.rt_period, "realtime period in microseconds");
  s->add_option("--cpuset-cpus", f.cpus, "CPUs allowed (0-3, 0,1)");
  s->add_option("--cpuset-mems", f.mems, "memory nodes allowed (0-3, 0,1)");
  s->add_option("--blkio-weight", f.blkio_weight, "block IO weight (10-1000)");
  s->add_option("--pids-limit", f.pids, "maximum number of tasks (-1: unlimited)");
  set_action(s, [&g]() -> Result<int> {
    auto resources = BERTH_TRY(build(f), "update");
    BERTH_CHECK(runtime::update_container(g.opts, f.id, resources), "");
    return 0;
  });
}

}  // namespace berth::cli
