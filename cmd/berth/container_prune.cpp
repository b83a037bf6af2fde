// berth container prune: docker's prompt (skipped by -f), filters (until, label) and report.
#include <cstdio>
#include <iostream>

#include "cli.hpp"
#include "units.hpp"

namespace berth::cli {

void add_container_prune(CLI::App& container, Cli& cli) {
  struct Options {
    bool force = false;
    std::vector<std::string> filters;
  };
  auto o = std::make_shared<Options>();
  auto* sub = container.add_subcommand("prune", "Remove all stopped containers");
  sub->add_flag("-f,--force", o->force, "Do not prompt for confirmation");
  sub->add_option("--filter", o->filters, "Provide filter values (e.g. \"until=<timestamp>\")");
  sub->callback([&cli, o] {
    auto filters = filters_json(cli, o->filters);
    if (!filters) return;
    if (!o->force) {
      std::printf("WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ");
      std::fflush(stdout);
      std::string answer;
      std::getline(std::cin, answer);
      if (answer != "y" && answer != "Y") return;
    }
    auto* c = cli.api();
    if (!c) return;
    std::string path = "/containers/prune";
    if (!filters->empty()) path += "?filters=" + q(filters->dump());
    auto r = c->call("POST", path);
    if (!r) return (void)cli.error(r.error().what());
    if (r->status != 200) return (void)cli.daemon_error(*r);
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    if (!j.is_object()) return (void)cli.error("malformed response from the daemon");
    auto deleted = j.value("ContainersDeleted", nlohmann::json());
    if (deleted.is_array() && !deleted.empty()) {
      std::printf("Deleted Containers:\n");
      for (auto& id : deleted) std::printf("%s\n", id.is_string() ? id.get<std::string>().c_str() : "");
      std::printf("\n");
    }
    std::printf("Total reclaimed space: %s\n", human_size(j.value("SpaceReclaimed", int64_t{0})).c_str());
  });
}

}  // namespace berth::cli
