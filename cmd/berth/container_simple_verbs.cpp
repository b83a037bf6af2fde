// The container verbs that are one call per named container, printing the name as docker
// does: start, stop, kill, rm, wait.
#include <cstdio>

#include "container_verbs.hpp"

namespace berth::cli {

namespace {

// Runs call for each name; prints the name on success, docker's error otherwise (exit 1).
// Returns the names that failed.
template <class F>
std::vector<std::string> for_each_container(Cli& cli, const std::vector<std::string>& names, F&& call) {
  std::vector<std::string> failed;
  auto* c = cli.api();
  if (!c) return names;
  for (auto& n : names) {
    auto r = call(*c, n);
    if (!r) {
      cli.error(r.error().what());
      failed.push_back(n);
      continue;
    }
    if (r->status >= 300 && r->status != 304) {
      cli.daemon_error(*r);
      failed.push_back(n);
      continue;
    }
    std::printf("%s\n", n.c_str());
  }
  return failed;
}

}  // namespace

void add_container_simple_verbs(CLI::App& app, Cli& cli) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto* start = app.add_subcommand("start", "Start one or more stopped containers");
  start->add_option("containers", *names, "CONTAINER")->required();
  auto start_attach = std::make_shared<bool>(false);
  auto start_interactive = std::make_shared<bool>(false);
  auto start_keys = std::make_shared<std::string>();
  start->add_flag("-a,--attach", *start_attach, "Attach STDOUT/STDERR and forward signals");
  start->add_flag("-i,--interactive", *start_interactive, "Attach container's STDIN");
  start->add_option("--detach-keys", *start_keys, "Override the key sequence for detaching a container");
  start->callback([&cli, names, start_attach, start_interactive, start_keys] {
    if (*start_attach || *start_interactive) {
      if (names->size() != 1) {
        cli.exit_code = cli.error("you cannot start and attach multiple containers at once");
        return;
      }
      cli.exit_code = start_attached(cli, names->front(), *start_interactive, *start_keys);
      return;
    }
    auto failed = for_each_container(cli, *names, [](api::ApiClient& c, const std::string& n) {
      return c.call("POST", "/containers/" + q(n) + "/start");
    });
    if (failed.empty() || !cli.client) return;
    std::string list;
    for (auto& f : failed) list += (list.empty() ? "" : ", ") + f;
    cli.error("failed to start containers: " + list);
  });

  auto stop_t = std::make_shared<std::optional<int>>();
  auto stop_sig = std::make_shared<std::string>();
  auto* stop = app.add_subcommand("stop", "Stop one or more running containers");
  stop->add_option("containers", *names, "CONTAINER")->required();
  stop->add_option("-t,--timeout", *stop_t, "Seconds to wait before killing the container");
  stop->add_option("-s,--signal", *stop_sig, "Signal to send to the container");
  stop->callback([&cli, names, stop_t, stop_sig] {
    std::string qs = (*stop_t ? "t=" + std::to_string(**stop_t) : "") + (stop_sig->empty() ? "" : "&signal=" + q(*stop_sig));
    for_each_container(cli, *names, [&](api::ApiClient& c, const std::string& n) { return c.call("POST", "/containers/" + q(n) + "/stop?" + qs); });
  });

  auto kill_sig = std::make_shared<std::string>();
  auto* kill = app.add_subcommand("kill", "Kill one or more running containers");
  kill->add_option("containers", *names, "CONTAINER")->required();
  kill->add_option("-s,--signal", *kill_sig, "Signal to send to the container");
  kill->callback([&cli, names, kill_sig] {
    for_each_container(cli, *names, [&](api::ApiClient& c, const std::string& n) {
      return c.call("POST", "/containers/" + q(n) + "/kill" + (kill_sig->empty() ? "" : "?signal=" + q(*kill_sig)));
    });
  });

  auto force = std::make_shared<bool>(false);
  auto* rm = app.add_subcommand("rm", "Remove one or more containers");
  rm->add_option("containers", *names, "CONTAINER")->required();
  rm->add_flag("-f,--force", *force, "Force the removal of a running container (uses SIGKILL)");
  auto volumes = std::make_shared<bool>(false);
  rm->add_flag("-v,--volumes", *volumes, "Remove anonymous volumes associated with the container");
  rm->callback([&cli, names, force, volumes] {
    for_each_container(cli, *names, [&](api::ApiClient& c, const std::string& n) {
      std::string query = std::string(*force ? "force=1" : "") + (*force && *volumes ? "&" : "") + (*volumes ? "v=1" : "");
      return c.call("DELETE", "/containers/" + q(n) + (query.empty() ? "" : "?" + query));
    });
  });

  auto* wait = app.add_subcommand("wait", "Block until one or more containers stop, then print their exit codes");
  wait->add_option("containers", *names, "CONTAINER")->required();
  wait->callback([&cli, names] {
    auto* c = cli.api();
    if (!c) return;
    for (auto& n : *names) {
      auto r = c->call("POST", "/containers/" + q(n) + "/wait");
      if (!r) return (void)cli.error(r.error().what());
      if (r->status != 200) {
        cli.daemon_error(*r);
        continue;
      }
      auto j = nlohmann::json::parse(r->body, nullptr, false);
      std::printf("%d\n", j.is_object() ? j.value("StatusCode", -1) : -1);
    }
  });
}

}  // namespace berth::cli
