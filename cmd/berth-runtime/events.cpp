// `events`: one stats snapshot (--stats) or a stream of stats every --interval plus OOM events,
// one JSON object per line as runc prints them.
#include <cctype>
#include <cstdio>

#include "runtime/cgroup/cgroup_verbs.hpp"
#include "verbs.hpp"

namespace berth::cli {

namespace {

// Go durations as runc takes them: "5s", "100ms", "1m30s".
Result<std::chrono::milliseconds> parse_duration(const std::string& s) {
  double total_ms = 0;
  size_t i = 0;
  if (s.empty()) return fail(ErrorKind::Invalid, "--interval: empty duration");
  while (i < s.size()) {
    size_t st = i;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    if (st == i) return fail(ErrorKind::Invalid, "--interval: \"" + s + "\" is not a duration like 5s");
    double v = std::stod(s.substr(st, i - st));
    size_t us = i;
    while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
    std::string unit = s.substr(us, i - us);
    if (unit == "ns") v /= 1e6;
    else if (unit == "us") v /= 1e3;
    else if (unit == "ms") {}
    else if (unit == "s") v *= 1e3;
    else if (unit == "m") v *= 60e3;
    else if (unit == "h") v *= 3600e3;
    else return fail(ErrorKind::Invalid, "--interval: \"" + s + "\" has no unit (ms, s, m, h)");
    total_ms += v;
  }
  if (total_ms < 1) return fail(ErrorKind::Invalid, "--interval: must be at least 1ms");
  return std::chrono::milliseconds(static_cast<long long>(total_ms));
}

bool print_line(const nlohmann::json& j) {
  std::string line = j.dump() + "\n";
  return std::fwrite(line.data(), 1, line.size(), stdout) == line.size() && std::fflush(stdout) == 0;
}

}  // namespace

void add_events(CLI::App& app, Globals& g) {
  static std::string id, interval = "5s";
  static bool stats = false;
  auto* s = app.add_subcommand("events", "display container events: OOM notifications and resource usage");
  s->add_option("id", id, "container id")->required();
  s->add_flag("--stats", stats, "print the container's resource usage once and exit");
  s->add_option("--interval", interval, "interval between stats in the stream (default 5s)");
  set_action(s, [&g]() -> Result<int> {
    if (stats) {
      auto ev = BERTH_TRY(runtime::container_stats(g.opts, id), "");
      print_line(ev);
      return 0;
    }
    auto every = BERTH_TRY(parse_duration(interval), "events");
    BERTH_CHECK(runtime::stream_container_events(g.opts, id, every, print_line), "");
    return 0;
  });
}

}  // namespace berth::cli
