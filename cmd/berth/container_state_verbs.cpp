// The container verbs that change a container's state or name: pause, unpause, restart,
// rename, with docker's output (the names given) and error text.
#include <cstdio>

#include "cli.hpp"

namespace berth::cli {

namespace {

// POSTs path_of(name) for each name; prints the name on success, docker's error otherwise.
template <class F>
void each_state_change(Cli& cli, const std::vector<std::string>& names, F&& path_of) {
  auto* c = cli.api();
  if (!c) return;
  for (auto& n : names) {
    auto r = c->call("POST", path_of(n));
    if (!r) {
      cli.error(r.error().what());
      continue;
    }
    if (r->status >= 300) {
      cli.daemon_error(*r);
      continue;
    }
    std::printf("%s\n", n.c_str());
  }
}

}  // namespace

void add_container_state_verbs(CLI::App& app, Cli& cli) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto* pause = app.add_subcommand("pause", "Pause all processes within one or more containers");
  pause->add_option("containers", *names, "CONTAINER")->required();
  pause->callback([&cli, names] { each_state_change(cli, *names, [](auto& n) { return "/containers/" + q(n) + "/pause"; }); });

  auto* unpause = app.add_subcommand("unpause", "Unpause all processes within one or more containers");
  unpause->add_option("containers", *names, "CONTAINER")->required();
  unpause->callback([&cli, names] { each_state_change(cli, *names, [](auto& n) { return "/containers/" + q(n) + "/unpause"; }); });

  auto t = std::make_shared<std::optional<int>>();
  auto sig = std::make_shared<std::string>();
  auto* restart = app.add_subcommand("restart", "Restart one or more containers");
  restart->add_option("containers", *names, "CONTAINER")->required();
  restart->add_option("-t,--time,--timeout", *t, "Seconds to wait before killing the container");
  restart->add_option("-s,--signal", *sig, "Signal to send to the container");
  restart->callback([&cli, names, t, sig] {
    std::string qs = (*t ? "t=" + std::to_string(**t) : "") + (sig->empty() ? "" : "&signal=" + q(*sig));
    each_state_change(cli, *names, [&](auto& n) { return "/containers/" + q(n) + "/restart?" + qs; });
  });

  auto pair = std::make_shared<std::pair<std::string, std::string>>();
  auto* rename = app.add_subcommand("rename", "Rename a container");
  rename->add_option("container", pair->first, "CONTAINER")->required();
  rename->add_option("new_name", pair->second, "NEW_NAME")->required();
  rename->callback([&cli, pair] {
    auto* c = cli.api();
    if (!c) return;
    const std::string& old_name = pair->first;
    const std::string& new_name = pair->second;
    if (old_name.empty() || new_name.empty()) return (void)cli.error("Neither old nor new names may be empty");
    auto r = c->call("POST", "/containers/" + q(old_name) + "/rename?name=" + q(new_name));
    if (!r) return (void)cli.error(r.error().what());
    if (r->status >= 300) {
      cli.daemon_error(*r);
      cli.error("failed to rename container named " + old_name);  // docker's second line
    }
  });
}

}  // namespace berth::cli
