// berth rmi IMAGE...: untags and deletes, printing what happened to each.
#include <cstdio>

#include "cli.hpp"

namespace berth::cli {

void add_rmi(CLI::App& app, Cli& cli) {
  struct Options {
    std::vector<std::string> names;
    bool force = false, no_prune = false;
  };
  auto o = std::make_shared<Options>();
  auto register_on = [&cli, o](CLI::App* sub) {
    sub->add_option("images", o->names, "IMAGE...")->required();
    sub->add_flag("-f,--force", o->force, "Force removal of the image");
    sub->add_flag("--no-prune", o->no_prune, "Do not delete untagged parents");
    sub->callback([&cli, o] {
      auto* c = cli.api();
      if (!c) return;
      for (auto& n : o->names) {
        auto r = c->call("DELETE", "/images/" + n + "?force=" + (o->force ? "1" : "0") + "&noprune=" +
                                       (o->no_prune ? "1" : "0"));
        if (!r) {
          cli.error(r.error().what());
          continue;
        }
        if (r->status != 200) {
          cli.daemon_error(*r);
          continue;
        }
        for (auto& item : nlohmann::json::parse(r->body, nullptr, false))
          for (auto& [k, v] : item.items()) std::printf("%s: %s\n", k.c_str(), v.get<std::string>().c_str());
      }
    });
  };
  register_on(app.add_subcommand("rmi", "Remove one or more images"));
  register_on(app.get_subcommand("image")->add_subcommand("rm", "Remove one or more images")->alias("remove"));
}

}  // namespace berth::cli
