// berth inspect NAME...: images for now (containers, networks and volumes come with their
// endpoints); the JSON array docker prints, or --format per object.
#include <cstdio>

#include "cli.hpp"
#include "go_template.hpp"

namespace berth::cli {

void add_inspect(CLI::App& app, Cli& cli) {
  struct Options {
    std::vector<std::string> names;
    std::string format, type;
  };
  auto o = std::make_shared<Options>();
  auto register_on = [&cli, o](CLI::App* sub, bool image_only) {
    sub->add_option("names", o->names, "NAME|ID...")->required();
    sub->add_option("-f,--format", o->format, "Format output using a Go template");
    if (!image_only) sub->add_option("--type", o->type, "Only inspect objects of the given type (image)");
    sub->callback([&cli, o] {
      if (!o->type.empty() && o->type != "image")
        return (void)cli.error("inspecting objects of type \"" + o->type + "\" is not supported yet");
      auto* c = cli.api();
      if (!c) return;
      std::optional<GoTemplate> t;
      if (!o->format.empty()) {
        auto parsed = GoTemplate::parse(o->format);
        if (!parsed) return (void)cli.error(parsed.error().message);
        t = *parsed;
      }
      nlohmann::json all = nlohmann::json::array();
      for (auto& n : o->names) {
        auto r = c->call("GET", "/images/" + n + "/json");
        if (!r) return (void)cli.error(r.error().what());
        if (r->status == 404) {
          std::fprintf(stderr, "Error: No such object: %s\n", n.c_str());
          cli.exit_code = 1;
          continue;
        }
        if (r->status != 200) {
          cli.daemon_error(*r);
          continue;
        }
        auto doc = nlohmann::json::parse(r->body, nullptr, false);
        if (t) std::printf("%s\n", t->render(doc).c_str());
        else all.push_back(doc);
      }
      if (!t) std::printf("%s\n", all.dump(4).c_str());
    });
  };
  register_on(app.add_subcommand("inspect", "Return low-level information on objects"), false);
  register_on(app.get_subcommand("image")->add_subcommand("inspect", "Display detailed information on images"), true);
}

}  // namespace berth::cli
