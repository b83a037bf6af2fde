// berth stats [CONTAINER...]: docker's columns (CPU %, MEM USAGE / LIMIT, MEM %, NET I/O,
// BLOCK I/O, PIDS), --no-stream, --format, --no-trunc, -a. Without names: the running containers.
// --no-stream asks each container for stream=false (the daemon's two samples a second apart);
// the live view asks for one-shot samples every second and takes CPU % against the last one.
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <thread>

#include "cli.hpp"
#include "go_template.hpp"
#include "stats_format.hpp"

namespace berth::cli {

namespace {

struct StatsOptions {
  bool all = false, no_stream = false, no_trunc = false;
  std::string format;
  std::vector<std::string> containers;
};

std::optional<std::vector<std::string>> running_names(Cli& cli, bool all) {
  auto list = cli.get_json(std::string("/containers/json?all=") + (all ? "1" : "0"));
  if (!list) return std::nullopt;
  std::vector<std::string> out;
  for (auto& c : *list) out.push_back(c.value("Id", std::string()).substr(0, 12));
  return out;
}

std::optional<nlohmann::json> fetch(Cli& cli, const std::string& name, const std::string& query) {
  return cli.get_json("/containers/" + q(name) + "/stats?" + query);
}

int print_rows(Cli& cli, const StatsOptions& o, const std::vector<nlohmann::json>& rows) {
  std::string fmt = o.format.empty() || o.format == "table" ? stats_default_format() : o.format;
  auto t = GoTemplate::parse(fmt, stats_headers());
  if (!t) return cli.error(t.error().message);
  std::vector<std::string> lines;
  if (t->table()) lines.push_back(t->header());
  for (auto& r : rows) lines.push_back(t->render(r));
  if (t->table()) std::fputs(align_columns(lines).c_str(), stdout);
  else
    for (auto& l : lines) std::printf("%s\n", l.c_str());
  std::fflush(stdout);
  return 0;
}

int run_stats(Cli& cli, const StatsOptions& o) {
  auto names = o.containers;
  if (names.empty()) {
    auto running = running_names(cli, o.all);
    if (!running) return cli.exit_code;
    names = *running;
  }
  if (o.no_stream) {
    std::vector<nlohmann::json> rows;
    for (auto& n : names) {
      auto s = fetch(cli, n, "stream=0");
      if (!s) return cli.exit_code;
      rows.push_back(stats_row(*s, n, !o.no_trunc));
    }
    return print_rows(cli, o, rows);
  }
  std::map<std::string, nlohmann::json> previous;
  bool tty = isatty(STDOUT_FILENO);
  while (true) {
    std::vector<nlohmann::json> rows;
    for (auto& n : names) {
      auto s = fetch(cli, n, "stream=0&one-shot=1");
      if (!s) return cli.exit_code;
      if (auto p = previous.find(n); p != previous.end()) {
        (*s)["precpu_stats"] = p->second["cpu_stats"];
        (*s)["preread"] = p->second["read"];
      }
      previous[n] = *s;
      rows.push_back(stats_row(*s, n, !o.no_trunc));
    }
    if (tty) std::fputs("\033[2J\033[H", stdout);  // redraw in place, as docker does
    if (int rc = print_rows(cli, o, rows); rc != 0) return rc;
    std::this_thread::sleep_for(std::chrono::seconds(1));  // the display's refresh interval
  }
}

}  // namespace

void add_stats(CLI::App& app, Cli& cli) {
  auto o = std::make_shared<StatsOptions>();
  auto* sub = app.add_subcommand("stats", "Display a live stream of container(s) resource usage statistics");
  sub->add_option("containers", o->containers, "CONTAINER");
  sub->add_flag("-a,--all", o->all, "Show all containers (default shows just running)");
  sub->add_flag("--no-stream", o->no_stream, "Disable streaming stats and only pull the first result");
  sub->add_flag("--no-trunc", o->no_trunc, "Do not truncate output");
  sub->add_option("--format", o->format, "Format output using a Go template");
  sub->callback([&cli, o] { cli.exit_code = run_stats(cli, *o); });
}

}  // namespace berth::cli
