// berth port CONTAINER [PRIVATE_PORT[/PROTO]]: the published ports from inspect's
// NetworkSettings.Ports ("80/tcp -> 0.0.0.0:8080"); nothing while the container publishes none.
#include <cstdio>

#include "cli.hpp"

namespace berth::cli {

void add_port(CLI::App& app, Cli& cli) {
  auto name = std::make_shared<std::string>();
  auto port = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("port", "List port mappings or a specific mapping for the container");
  sub->add_option("container", *name, "CONTAINER")->required();
  sub->add_option("port", *port, "PRIVATE_PORT[/PROTO]");
  sub->callback([&cli, name, port] {
    auto j = cli.get_json("/containers/" + q(*name) + "/json");
    if (!j) return;
    auto ports = (*j)["NetworkSettings"].value("Ports", nlohmann::json::object());
    std::string want = port->empty() || port->find('/') != std::string::npos ? *port : *port + "/tcp";
    bool found = false;
    for (auto& [key, bindings] : ports.items()) {
      if (!want.empty() && key != want) continue;
      if (!bindings.is_array()) continue;
      for (auto& b : bindings) {
        found = true;
        std::string host = b.value("HostIp", std::string());
        if (host.find(':') != std::string::npos) host = "[" + host + "]";
        std::string mapped = host + ":" + b.value("HostPort", std::string());
        if (want.empty()) std::printf("%s -> %s\n", key.c_str(), mapped.c_str());
        else std::printf("%s\n", mapped.c_str());
      }
    }
    if (!want.empty() && !found) cli.error("No public port '" + want + "' published for " + *name);
  });
}

}  // namespace berth::cli
