// berth volume create|ls|inspect|rm|prune, printing what docker prints.
#include <cstdio>
#include <iostream>

#include "cli.hpp"
#include "go_template.hpp"
#include "object_verbs.hpp"
#include "units.hpp"

namespace berth::cli {

namespace {

using nlohmann::json;

void vol_create(CLI::App& vol, Cli& cli) {
  struct Options {
    std::string name, driver = "local";
    std::vector<std::string> labels, opts;
  };
  auto o = std::make_shared<Options>();
  auto* sub = vol.add_subcommand("create", "Create a volume");
  sub->add_option("name", o->name, "VOLUME");
  sub->add_option("-d,--driver", o->driver, "Specify volume driver name");
  sub->add_option("--label", o->labels, "Set metadata for a volume")->allow_extra_args(false);
  sub->add_option("-o,--opt", o->opts, "Set driver specific options")->allow_extra_args(false);
  sub->callback([&cli, o] {
    auto labels = key_values(cli, o->labels, "--label", false);
    auto opts = key_values(cli, o->opts, "--opt", true);
    if (!labels || !opts) return;
    json body = {{"Name", o->name}, {"Driver", o->driver}, {"Labels", *labels}, {"DriverOpts", *opts}};
    auto r = call_ok(cli, "POST", "/volumes/create", body.dump());
    if (!r) return;
    auto j = json::parse(r->body, nullptr, false);
    std::printf("%s\n", j.is_object() ? j.value("Name", "").c_str() : "");
  });
}

void vol_ls(CLI::App& vol, Cli& cli) {
  struct Options {
    bool quiet = false;
    std::string format;
    std::vector<std::string> filters;
  };
  auto o = std::make_shared<Options>();
  auto* sub = vol.add_subcommand("ls", "List volumes");
  sub->alias("list");
  sub->add_flag("-q,--quiet", o->quiet, "Only display volume names");
  sub->add_option("--format", o->format, "Format output using a Go template");
  sub->add_option("-f,--filter", o->filters, "Provide filter values (e.g. \"dangling=true\")")->allow_extra_args(false);
  sub->callback([&cli, o] {
    auto filters = filters_json(cli, o->filters);
    if (!filters) return;
    std::string path = "/volumes";
    if (!filters->empty()) path += "?filters=" + q(filters->dump());
    auto list = cli.get_json(path);
    if (!list) return;
    std::string fmt = o->format.empty() || o->format == "table" ? "table {{.Driver}}\t{{.Name}}" : o->format;
    if (o->quiet) fmt = "{{.Name}}";
    auto t = GoTemplate::parse(fmt, {{"Name", "VOLUME NAME"}});
    if (!t) return (void)cli.error(t.error().message);
    std::vector<std::string> lines;
    if (t->table()) lines.push_back(t->header());
    std::vector<json> vols;
    if (list->contains("Volumes") && (*list)["Volumes"].is_array()) vols.assign((*list)["Volumes"].begin(), (*list)["Volumes"].end());
    std::sort(vols.begin(), vols.end(), [](auto& a, auto& b) { return a.value("Name", "") < b.value("Name", ""); });
    for (auto& v : vols) {
      std::string labels;
      if (v["Labels"].is_object())
        for (auto& [k, val] : v["Labels"].items()) labels += (labels.empty() ? "" : ",") + k + "=" + val.get<std::string>();
      json row = {{"Name", v.value("Name", "")}, {"Driver", v.value("Driver", "")}, {"Scope", v.value("Scope", "")},
                  {"Mountpoint", v.value("Mountpoint", "")}, {"Labels", labels}, {"CreatedAt", v.value("CreatedAt", "")}};
      lines.push_back(t->render(row));
    }
    if (t->table()) std::fputs(align_columns(lines).c_str(), stdout);
    else for (auto& l : lines) std::printf("%s\n", l.c_str());
  });
}

void vol_inspect(CLI::App& vol, Cli& cli) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto format = std::make_shared<std::string>();
  auto* sub = vol.add_subcommand("inspect", "Display detailed information on one or more volumes");
  sub->add_option("volume", *names, "VOLUME")->required();
  sub->add_option("-f,--format", *format, "Format output using a Go template");
  sub->callback([&cli, names, format] { print_inspected(cli, "/volumes", *names, *format); });
}

void vol_rm(CLI::App& vol, Cli& cli) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  auto* sub = vol.add_subcommand("rm", "Remove one or more volumes");
  sub->alias("remove");
  sub->add_option("volume", *names, "VOLUME")->required();
  sub->add_flag("-f,--force", *force, "Force the removal of one or more volumes");
  sub->callback([&cli, names, force] {
    auto* c = cli.api();
    if (!c) return;
    int status = 0;
    for (auto& n : *names) {
      auto r = c->call("DELETE", "/volumes/" + q(n) + (*force ? "?force=1" : ""));
      if (!r) status = cli.error(r.error().what());
      else if (r->status / 100 != 2) status = cli.daemon_error(*r);
      else std::printf("%s\n", n.c_str());
    }
    cli.exit_code = status;
  });
}

void vol_prune(CLI::App& vol, Cli& cli) {
  auto force = std::make_shared<bool>(false);
  auto all = std::make_shared<bool>(false);
  auto filters = std::make_shared<std::vector<std::string>>();
  auto* sub = vol.add_subcommand("prune", "Remove unused local volumes");
  sub->add_flag("-f,--force", *force, "Do not prompt for confirmation");
  sub->add_flag("-a,--all", *all, "Remove all unused volumes, not just anonymous ones");
  sub->add_option("--filter", *filters, "Provide filter values (e.g. \"label=<label>\")")->allow_extra_args(false);
  sub->callback([&cli, force, all, filters] {
    auto f = filters_json(cli, *filters);
    if (!f) return;
    if (*all) (*f)["all"] = {{"true", true}};
    if (!*force) {
      std::printf("WARNING! This will remove %s local volumes not used by at least one container.\n"
                  "Are you sure you want to continue? [y/N] ", *all ? "all" : "anonymous");
      std::fflush(stdout);
      std::string answer;
      std::getline(std::cin, answer);
      if (answer != "y" && answer != "Y") return;
    }
    auto r = call_ok(cli, "POST", "/volumes/prune" + (f->empty() ? std::string() : "?filters=" + q(f->dump())), "");
    if (!r) return;
    auto j = json::parse(r->body, nullptr, false);
    if (j.is_object() && j["VolumesDeleted"].is_array() && !j["VolumesDeleted"].empty()) {
      std::printf("Deleted Volumes:\n");
      for (auto& n : j["VolumesDeleted"]) std::printf("%s\n", n.get<std::string>().c_str());
      std::printf("\n");
    }
    std::printf("Total reclaimed space: %s\n", human_size(j.is_object() ? j.value("SpaceReclaimed", int64_t{0}) : 0).c_str());
  });
}

}  // namespace

void add_volume(CLI::App& app, Cli& cli) {
  auto* vol = app.add_subcommand("volume", "Manage volumes")->require_subcommand(1);
  for (auto add : {vol_create, vol_ls, vol_inspect, vol_rm, vol_prune}) add(*vol, cli);
}

}  // namespace berth::cli
