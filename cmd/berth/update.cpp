// berth update [--restart POLICY] [resource flags] CONTAINER...: the restart policy and the
// cgroup limits of existing containers.
#include <cstdio>

#include "cli.hpp"
#include "host_config_flags.hpp"
#include "restart_flag.hpp"

namespace berth::cli {

void add_update(CLI::App& app, Cli& cli) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto restart = std::make_shared<std::string>();
  auto flags = std::make_shared<HostConfigFlags>();
  auto* sub = app.add_subcommand("update", "Update configuration of one or more containers");
  sub->add_option("containers", *names, "CONTAINER")->required();
  sub->add_option("--restart", *restart, "Restart policy to apply when a container exits");
  add_update_flags(sub, *flags);
  sub->callback([&cli, names, restart, flags] {
    nlohmann::json req = nlohmann::json::object();
    if (auto r = apply_host_config_flags(*flags, req); !r) {
      cli.exit_code = cli.error(r.error().message);
      return;
    }
    if (restart->empty() && req.empty()) {
      cli.exit_code = cli.error("you must provide one or more flags when using this command");
      return;
    }
    if (!restart->empty()) {
      auto policy = parse_restart_flag(*restart);
      if (!policy) {
        cli.exit_code = cli.error(policy.error().message);
        return;
      }
      req["RestartPolicy"] = *policy;
    }
    auto* c = cli.api();
    if (!c) return;
    std::string body = req.dump();
    for (auto& n : *names) {
      auto r = c->call("POST", "/containers/" + q(n) + "/update", body, {{"Content-Type", "application/json"}});
      if (!r) {
        cli.error(r.error().what());
        continue;
      }
      if (r->status != 200) {
        cli.daemon_error(*r);
        continue;
      }
      auto j = nlohmann::json::parse(r->body, nullptr, false);
      if (j.is_object() && j["Warnings"].is_array())
        for (auto& w : j["Warnings"]) std::fprintf(stderr, "%s\n", w.get<std::string>().c_str());
      std::printf("%s\n", n.c_str());
    }
  });
}

}  // namespace berth::cli
