// berth image prune: removes dangling (or, with -a, all unused) images.
#include <cstdio>
#include <iostream>

#include "cli.hpp"
#include "units.hpp"

namespace berth::cli {

void add_image_prune(CLI::App& image, Cli& cli) {
  auto* sub = image.add_subcommand("prune", "Remove unused images");
  struct Options {
    bool all = false, force = false;
  };
  auto o = std::make_shared<Options>();
  sub->add_flag("-a,--all", o->all, "Remove all unused images, not just dangling ones");
  sub->add_flag("-f,--force", o->force, "Do not prompt for confirmation");
  sub->callback([&cli, o] {
    if (!o->force) {
      std::printf("WARNING! This will remove all %s.\nAre you sure you want to continue? [y/N] ",
                  o->all ? "images without at least one container associated to them" : "dangling images");
      std::fflush(stdout);
      std::string answer;
      std::getline(std::cin, answer);
      if (answer != "y" && answer != "Y") return;
    }
    auto* c = cli.api();
    if (!c) return;
    std::string filters = o->all ? R"({"dangling":{"false":true}})" : R"({"dangling":{"true":true}})";
    auto r = c->call("POST", "/images/prune?filters=" + q(filters));
    if (!r) return (void)cli.error(r.error().what());
    if (r->status != 200) return (void)cli.daemon_error(*r);
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    if (j.is_object() && j["ImagesDeleted"].is_array() && !j["ImagesDeleted"].empty()) {
      std::printf("Deleted Images:\n");
      for (auto& item : j["ImagesDeleted"])
        for (auto& [k, v] : item.items()) std::printf("%s: %s\n", k == "Untagged" ? "untagged" : "deleted", v.get<std::string>().c_str());
      std::printf("\n");
    }
    std::printf("Total reclaimed space: %s\n", human_size(j.is_object() ? j.value("SpaceReclaimed", int64_t{0}) : 0).c_str());
  });
}

}  // namespace berth::cli
