#include "engine/container_stats.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <sstream>

#include "common/fs.hpp"
#include "engine/container_service.hpp"
#include "engine/json_log.hpp"
#include "runtime/cgroup/cgroup.hpp"
#include "runtime/cgroup/cgroup_verbs.hpp"

namespace berth::engine {

using nlohmann::json;

namespace {

constexpr const char* kZeroTime = "0001-01-01T00:00:00Z";

uint64_t u64(const json& j, std::initializer_list<const char*> path) {
  const json* p = &j;
  for (auto* k : path) {
    if (!p->is_object() || !p->contains(k)) return 0;
    p = &(*p)[k];
  }
  return p->is_number_unsigned() || p->is_number_integer() ? p->get<uint64_t>() : 0;
}

json zero_cpu() {
  return {{"cpu_usage", {{"total_usage", 0}, {"usage_in_kernelmode", 0}, {"usage_in_usermode", 0}}},
          {"throttling_data", {{"periods", 0}, {"throttled_periods", 0}, {"throttled_time", 0}}}};
}

// runc's {"major","minor","op","value"} entries; v2's ops in lower case, as dockerd sends them.
json blkio_entries(const json& list, bool lower) {
  if (!list.is_array() || list.empty()) return nullptr;
  json out = json::array();
  for (auto& e : list) {
    json x = e;
    if (lower && x.value("op", json()).is_string()) {
      auto op = x["op"].get<std::string>();
      for (auto& ch : op) ch = static_cast<char>(tolower(ch));
      x["op"] = op;
    }
    out.push_back(x);
  }
  return out;
}

}  // namespace

StatsHost read_stats_host(bool v2_memory) {
  StatsHost h;
  h.v2_memory = v2_memory;
  h.read = rfc3339_now();
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  h.online_cpus = cpus > 0 ? static_cast<uint32_t>(cpus) : 1;
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  h.memory_total = pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : 0;
  // The first line of /proc/stat: the host's CPU time in clock ticks (user nice system idle
  // iowait irq softirq steal; guest time is already in user).
  auto stat = read_file("/proc/stat");
  if (stat) {
    std::istringstream in(stat->substr(0, stat->find('\n')));
    std::string cpu;
    in >> cpu;
    uint64_t total = 0, v = 0;
    for (int i = 0; i < 8 && in >> v; ++i) total += v;
    long hz = sysconf(_SC_CLK_TCK);
    h.system_cpu_ns = total * (1000000000ull / static_cast<uint64_t>(hz > 0 ? hz : 100));
  }
  return h;
}

json parse_net_dev(const std::string& text) {
  static const char* keys[] = {"rx_bytes", "rx_packets", "rx_errors", "rx_dropped", nullptr,  nullptr, nullptr, nullptr,
                               "tx_bytes", "tx_packets", "tx_errors", "tx_dropped"};
  json out = json::object();
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;  // the two header lines
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    if (name.empty() || name == "lo") continue;
    std::istringstream nums(line.substr(colon + 1));
    json iface = json::object();
    uint64_t v = 0;
    for (size_t i = 0; i < std::size(keys) && nums >> v; ++i)
      if (keys[i]) iface[keys[i]] = v;
    out[name] = iface;
  }
  return out;
}

json container_networks(pid_t pid) {
  struct stat mine{}, theirs{};
  std::string ns = "/proc/" + std::to_string(pid) + "/ns/net";
  if (stat("/proc/self/ns/net", &mine) != 0 || stat(ns.c_str(), &theirs) != 0 || mine.st_ino == theirs.st_ino)
    return json::object();  // gone, or the host's own interfaces (not the container's)
  auto text = read_file("/proc/" + std::to_string(pid) + "/net/dev");
  return text ? parse_net_dev(*text) : json::object();
}

json docker_stats_sample(const json& d, const StatsHost& host, const json& networks) {
  json cpu_usage = {{"total_usage", u64(d, {"cpu", "usage", "total"})},
                    {"usage_in_kernelmode", u64(d, {"cpu", "usage", "kernel"})},
                    {"usage_in_usermode", u64(d, {"cpu", "usage", "user"})}};
  if (auto per = d.contains("cpu") ? d["cpu"].value("usage", json::object()).value("percpu", json()) : json();
      per.is_array() && !per.empty())
    cpu_usage["percpu_usage"] = per;
  json cpu = {{"cpu_usage", cpu_usage},
              {"system_cpu_usage", host.system_cpu_ns},
              {"online_cpus", host.online_cpus},
              {"throttling_data", {{"periods", u64(d, {"cpu", "throttling", "periods"})},
                                   {"throttled_periods", u64(d, {"cpu", "throttling", "throttled_periods"})},
                                   {"throttled_time", u64(d, {"cpu", "throttling", "throttled_time"})}}}};
  json memory = json::object();
  if (d.contains("memory")) {
    // An unlimited cgroup reports a huge number; dockerd shows the host's memory instead.
    uint64_t limit = u64(d, {"memory", "usage", "limit"});
    if (limit == 0 || (host.memory_total > 0 && limit > host.memory_total)) limit = host.memory_total;
    memory = {{"usage", u64(d, {"memory", "usage", "usage"})},
              {"stats", d["memory"].value("raw", json::object())},
              {"limit", limit}};
    if (!host.v2_memory) {
      memory["max_usage"] = u64(d, {"memory", "usage", "max"});
      memory["failcnt"] = u64(d, {"memory", "usage", "failcnt"});
    }
  }
  json blk = d.value("blkio", json::object());
  json blkio = {{"io_service_bytes_recursive", blkio_entries(blk.value("ioServiceBytesRecursive", json()), host.v2_memory)},
                {"io_serviced_recursive", blkio_entries(blk.value("ioServicedRecursive", json()), host.v2_memory)},
                {"io_queue_recursive", nullptr},
                {"io_service_time_recursive", nullptr},
                {"io_wait_time_recursive", nullptr},
                {"io_merged_recursive", nullptr},
                {"io_time_recursive", nullptr},
                {"sectors_recursive", nullptr}};
  json pids = json::object();
  if (d.contains("pids")) {
    pids["current"] = u64(d, {"pids", "current"});
    if (uint64_t lim = u64(d, {"pids", "limit"})) pids["limit"] = lim;
  }
  json s = {{"read", host.read}, {"pids_stats", pids}, {"blkio_stats", blkio}, {"num_procs", 0},
            {"storage_stats", json::object()}, {"cpu_stats", cpu}, {"memory_stats", memory}};
  if (networks.is_object() && !networks.empty()) s["networks"] = networks;
  return s;
}

json docker_stats_body(const json& sample, const json& previous, const std::string& name, const std::string& id) {
  json out = sample;
  bool have_prev = previous.is_object() && previous.contains("cpu_stats");
  out["preread"] = have_prev ? previous["read"] : json(kZeroTime);
  out["precpu_stats"] = have_prev ? previous["cpu_stats"] : zero_cpu();
  out["name"] = name;
  out["id"] = id;
  return out;
}

json docker_stats_empty(const std::string& name, const std::string& id) {
  json blkio = json::object();
  for (auto* k : {"io_service_bytes_recursive", "io_serviced_recursive", "io_queue_recursive", "io_service_time_recursive",
                  "io_wait_time_recursive", "io_merged_recursive", "io_time_recursive", "sectors_recursive"})
    blkio[k] = nullptr;
  return {{"read", kZeroTime}, {"preread", kZeroTime}, {"pids_stats", json::object()}, {"blkio_stats", blkio},
          {"num_procs", 0}, {"storage_stats", json::object()}, {"cpu_stats", zero_cpu()}, {"precpu_stats", zero_cpu()},
          {"memory_stats", json::object()}, {"name", name}, {"id", id}};
}

Result<json> ContainerService::stats_sample(std::string_view ref) {
  ContainerRecord c;
  {
    std::lock_guard lk(mu_);
    c = BERTH_TRY(store_.find(ref), "");
  }
  if (!is_live(c.state)) return fail(ErrorKind::Conflict, "Container " + c.id + " is not running");
  runtime::GlobalOptions g;
  g.root = runtime_in_use(c.id).root;
  auto raw = runtime::container_stats(g, c.id);
  if (!raw) return fail(ErrorKind::Internal, "stats: container " + c.id + ": " + raw.error().what());
  bool v2_memory = runtime::detect_cgroup_layout() == runtime::CgroupLayout::V2;
  return docker_stats_sample((*raw)["data"], read_stats_host(v2_memory), container_networks(static_cast<pid_t>(c.pid)));
}

}  // namespace berth::engine
