#include "stats_format.hpp"

#include <cstdio>

#include "api/json_stream.hpp"

namespace berth::cli {

using nlohmann::json;

namespace {

double number_at(const json& j, std::initializer_list<const char*> path) {
  const json* p = &j;
  for (auto* k : path) {
    if (!p->is_object() || !p->contains(k)) return 0;
    p = &(*p)[k];
  }
  return p->is_number() ? p->get<double>() : 0;
}

std::string percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", v);
  return buf;
}

std::string io_pair(double a, double b) { return api::human_size(a) + " / " + api::human_size(b); }

}  // namespace

std::string bytes_size(double bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (bytes >= 1024 && u < 5) {
    bytes /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g%s", bytes, units[u]);
  return buf;
}

json stats_row(const json& s, const std::string& container, bool trunc) {
  double cpu_delta = number_at(s, {"cpu_stats", "cpu_usage", "total_usage"}) - number_at(s, {"precpu_stats", "cpu_usage", "total_usage"});
  double sys_delta = number_at(s, {"cpu_stats", "system_cpu_usage"}) - number_at(s, {"precpu_stats", "system_cpu_usage"});
  double cpus = number_at(s, {"cpu_stats", "online_cpus"});
  if (cpus == 0 && s.contains("cpu_stats")) {
    auto per = s["cpu_stats"].value("cpu_usage", json::object()).value("percpu_usage", json::array());
    cpus = static_cast<double>(per.size());
  }
  double cpu = sys_delta > 0 && cpu_delta > 0 ? cpu_delta / sys_delta * cpus * 100.0 : 0;
  // Usage without the page cache that can be dropped: v1's total_inactive_file, v2's inactive_file.
  double usage = number_at(s, {"memory_stats", "usage"});
  json mstats = s.contains("memory_stats") ? s["memory_stats"].value("stats", json::object()) : json::object();
  if (mstats.contains("total_inactive_file") && number_at(mstats, {"total_inactive_file"}) < usage)
    usage -= number_at(mstats, {"total_inactive_file"});
  else if (mstats.contains("inactive_file") && number_at(mstats, {"inactive_file"}) < usage)
    usage -= number_at(mstats, {"inactive_file"});
  double limit = number_at(s, {"memory_stats", "limit"});
  double rx = 0, tx = 0;
  if (s.contains("networks") && s["networks"].is_object())
    for (auto& [_, n] : s["networks"].items()) {
      rx += number_at(n, {"rx_bytes"});
      tx += number_at(n, {"tx_bytes"});
    }
  double rd = 0, wr = 0;
  if (auto io = s.contains("blkio_stats") ? s["blkio_stats"].value("io_service_bytes_recursive", json()) : json(); io.is_array())
    for (auto& e : io) {
      auto op = e.value("op", std::string());
      if (op.empty()) continue;
      if (op[0] == 'r' || op[0] == 'R') rd += number_at(e, {"value"});
      if (op[0] == 'w' || op[0] == 'W') wr += number_at(e, {"value"});
    }
  std::string id = s.value("id", std::string());
  std::string name = s.value("name", std::string());
  if (!name.empty() && name[0] == '/') name.erase(0, 1);
  return {{"Container", container},
          {"Name", name},
          {"ID", trunc ? id.substr(0, 12) : id},
          {"CPUPerc", percent(cpu)},
          {"MemUsage", bytes_size(usage) + " / " + bytes_size(limit)},
          {"MemPerc", percent(limit != 0 ? usage / limit * 100.0 : 0)},
          {"NetIO", io_pair(rx, tx)},
          {"BlockIO", io_pair(rd, wr)},
          {"PIDs", std::to_string(static_cast<uint64_t>(number_at(s, {"pids_stats", "current"})))}};
}

std::string stats_default_format() {
  return "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";
}

const std::map<std::string, std::string>& stats_headers() {
  static const std::map<std::string, std::string> h = {
      {"Container", "CONTAINER"}, {"ID", "CONTAINER ID"}, {"Name", "NAME"},     {"CPUPerc", "CPU %"},
      {"MemUsage", "MEM USAGE / LIMIT"}, {"MemPerc", "MEM %"}, {"NetIO", "NET I/O"}, {"BlockIO", "BLOCK I/O"},
      {"PIDs", "PIDS"}};
  return h;
}

}  // namespace berth::cli
