// berth network ls|create|inspect|rm|prune|connect|disconnect, printing what docker prints.
#include <cstdio>
#include <iostream>

#include "cli.hpp"
#include "go_template.hpp"
#include "object_verbs.hpp"

namespace berth::cli {

namespace {

using nlohmann::json;

void net_ls(CLI::App& net, Cli& cli) {
  struct Options {
    bool quiet = false, no_trunc = false;
    std::string format;
    std::vector<std::string> filters;
  };
  auto o = std::make_shared<Options>();
  auto* sub = net.add_subcommand("ls", "List networks");
  sub->alias("list");
  sub->add_flag("-q,--quiet", o->quiet, "Only display network IDs");
  sub->add_flag("--no-trunc", o->no_trunc, "Do not truncate the output");
  sub->add_option("--format", o->format, "Format output using a Go template");
  sub->add_option("-f,--filter", o->filters, "Provide filter values (e.g. \"driver=bridge\")");
  sub->callback([&cli, o] {
    auto filters = filters_json(cli, o->filters);
    if (!filters) return;
    std::string path = "/networks";
    if (!filters->empty()) path += "?filters=" + q(filters->dump());
    auto list = cli.get_json(path);
    if (!list) return;
    std::string fmt = o->format.empty() || o->format == "table"
                          ? "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"
                          : o->format;
    if (o->quiet) fmt = "{{.ID}}";
    auto t = GoTemplate::parse(fmt, {{"ID", "NETWORK ID"}});
    if (!t) return (void)cli.error(t.error().message);
    std::vector<std::string> lines;
    if (t->table()) lines.push_back(t->header());
    // docker lists networks by name.
    std::vector<json> nets(list->begin(), list->end());
    std::sort(nets.begin(), nets.end(), [](auto& a, auto& b) { return a.value("Name", "") < b.value("Name", ""); });
    for (auto& n : nets) {
      std::string id = n.value("Id", "");
      json row = {{"ID", o->no_trunc ? id : id.substr(0, 12)}, {"Name", n.value("Name", "")},
                  {"Driver", n.value("Driver", "")}, {"Scope", n.value("Scope", "")},
                  {"IPv6", n.value("EnableIPv6", false) ? "true" : "false"},
                  {"Internal", n.value("Internal", false) ? "true" : "false"}, {"CreatedAt", n.value("Created", "")}};
      lines.push_back(t->render(row));
    }
    if (t->table()) std::fputs(align_columns(lines).c_str(), stdout);
    else for (auto& l : lines) std::printf("%s\n", l.c_str());
  });
}

void net_create(CLI::App& net, Cli& cli) {
  struct Options {
    std::string name, driver = "bridge", subnet, gateway, ip_range;
    bool internal = false, attachable = false;
    std::vector<std::string> labels, opts;
  };
  auto o = std::make_shared<Options>();
  auto* sub = net.add_subcommand("create", "Create a network");
  sub->add_option("name", o->name, "NETWORK")->required();
  sub->add_option("-d,--driver", o->driver, "Driver to manage the Network");
  sub->add_option("--subnet", o->subnet, "Subnet in CIDR format that represents a network segment");
  sub->add_option("--gateway", o->gateway, "IPv4 Gateway for the master subnet");
  sub->add_option("--ip-range", o->ip_range, "Allocate container ip from a sub-range");
  sub->add_flag("--internal", o->internal, "Restrict external access to the network");
  sub->add_flag("--attachable", o->attachable, "Enable manual container attachment");
  sub->add_option("--label", o->labels, "Set metadata on a network");
  sub->add_option("-o,--opt", o->opts, "Set driver specific options");
  sub->callback([&cli, o] {
    auto labels = key_values(cli, o->labels, "--label", false);
    auto opts = key_values(cli, o->opts, "--opt", true);
    if (!labels || !opts) return;
    json body = {{"Name", o->name}, {"Driver", o->driver}, {"Internal", o->internal}, {"Attachable", o->attachable},
                 {"Labels", *labels}, {"Options", *opts}, {"CheckDuplicate", true}};
    if (!o->subnet.empty()) {
      json cfg = {{"Subnet", o->subnet}};
      if (!o->gateway.empty()) cfg["Gateway"] = o->gateway;
      if (!o->ip_range.empty()) cfg["IPRange"] = o->ip_range;
      body["IPAM"] = {{"Driver", "default"}, {"Config", json::array({cfg})}};
    } else if (!o->gateway.empty() || !o->ip_range.empty()) {
      return (void)cli.error("every ip-range or gateway must have a corresponding subnet");
    }
    auto r = call_ok(cli, "POST", "/networks/create", body.dump());
    if (!r) return;
    auto j = json::parse(r->body, nullptr, false);
    std::printf("%s\n", j.is_object() ? j.value("Id", "").c_str() : "");
  });
}

void net_inspect(CLI::App& net, Cli& cli) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto format = std::make_shared<std::string>();
  auto* sub = net.add_subcommand("inspect", "Display detailed information on one or more networks");
  sub->add_option("network", *names, "NETWORK")->required();
  sub->add_option("-f,--format", *format, "Format output using a Go template");
  sub->callback([&cli, names, format] { print_inspected(cli, "/networks", *names, *format); });
}

void net_rm(CLI::App& net, Cli& cli) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto* sub = net.add_subcommand("rm", "Remove one or more networks");
  sub->alias("remove");
  sub->add_option("network", *names, "NETWORK")->required();
  sub->callback([&cli, names] {
    auto* c = cli.api();
    if (!c) return;
    int status = 0;
    for (auto& n : *names) {
      auto r = c->call("DELETE", "/networks/" + q(n));
      if (!r) status = cli.error(r.error().what());
      else if (r->status / 100 != 2) status = cli.daemon_error(*r);
      else std::printf("%s\n", n.c_str());
    }
    cli.exit_code = status;
  });
}

void net_prune(CLI::App& net, Cli& cli) {
  auto force = std::make_shared<bool>(false);
  auto* sub = net.add_subcommand("prune", "Remove all unused networks");
  sub->add_flag("-f,--force", *force, "Do not prompt for confirmation");
  sub->callback([&cli, force] {
    if (!*force) {
      std::printf("WARNING! This will remove all custom networks not used by at least one container.\n"
                  "Are you sure you want to continue? [y/N] ");
      std::fflush(stdout);
      std::string answer;
      std::getline(std::cin, answer);
      if (answer != "y" && answer != "Y") return;
    }
    auto r = call_ok(cli, "POST", "/networks/prune", "{}");
    if (!r) return;
    auto j = json::parse(r->body, nullptr, false);
    if (j.is_object() && j["NetworksDeleted"].is_array() && !j["NetworksDeleted"].empty()) {
      std::printf("Deleted Networks:\n");
      for (auto& n : j["NetworksDeleted"]) std::printf("%s\n", n.get<std::string>().c_str());
    }
  });
}

void net_connect(CLI::App& net, Cli& cli) {
  struct Options {
    std::string network, container, ip, mac;
    std::vector<std::string> aliases;
  };
  auto o = std::make_shared<Options>();
  auto* sub = net.add_subcommand("connect", "Connect a container to a network");
  sub->add_option("network", o->network, "NETWORK")->required();
  sub->add_option("container", o->container, "CONTAINER")->required();
  sub->add_option("--ip", o->ip, "IPv4 address (e.g., \"172.30.100.104\")");
  sub->add_option("--alias", o->aliases, "Add network-scoped alias for the container");
  sub->add_option("--mac-address", o->mac, "Container MAC address (e.g., \"92:d0:c6:0a:29:33\")");
  sub->callback([&cli, o] {
    json ec = json::object();
    if (!o->ip.empty()) ec["IPAMConfig"] = {{"IPv4Address", o->ip}};
    if (!o->aliases.empty()) ec["Aliases"] = o->aliases;
    if (!o->mac.empty()) ec["MacAddress"] = o->mac;
    call_ok(cli, "POST", "/networks/" + q(o->network) + "/connect",
            json{{"Container", o->container}, {"EndpointConfig", ec}}.dump());
  });
}

void net_disconnect(CLI::App& net, Cli& cli) {
  struct Options {
    std::string network, container;
    bool force = false;
  };
  auto o = std::make_shared<Options>();
  auto* sub = net.add_subcommand("disconnect", "Disconnect a container from a network");
  sub->add_option("network", o->network, "NETWORK")->required();
  sub->add_option("container", o->container, "CONTAINER")->required();
  sub->add_flag("-f,--force", o->force, "Force the container to disconnect from a network");
  sub->callback([&cli, o] {
    call_ok(cli, "POST", "/networks/" + q(o->network) + "/disconnect",
            json{{"Container", o->container}, {"Force", o->force}}.dump());
  });
}

}  // namespace

void add_network(CLI::App& app, Cli& cli) {
  auto* net = app.add_subcommand("network", "Manage networks")->require_subcommand(1);
  for (auto add : {net_ls, net_create, net_inspect, net_rm, net_prune, net_connect, net_disconnect}) add(*net, cli);
}

}  // namespace berth::cli
