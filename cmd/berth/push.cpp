// berth push: an image to a registry, with the daemon's progress.
#include "cli.hpp"
#include "image/reference.hpp"
#include "progress.hpp"

namespace berth::cli {

void add_push(CLI::App& app, Cli& cli) {
  auto* sub = app.add_subcommand("push", "Upload an image to a registry");
  struct Options {
    std::string name;
    bool quiet = false, all_tags = false;
  };
  auto o = std::make_shared<Options>();
  sub->add_option("name", o->name, "NAME[:TAG]")->required();
  sub->add_flag("-q,--quiet", o->quiet, "Suppress verbose output");
  sub->add_flag("-a,--all-tags", o->all_tags, "Push all tags of the repository");
  sub->callback([&cli, o] {
    auto ref = image::Reference::parse(o->name);
    if (!ref) return (void)cli.error("invalid reference format: " + ref.error().message);
    std::string tag = ref->tag;
    if (tag.empty() && !o->all_tags) {
      tag = "latest";
      std::printf("Using default tag: latest\n");
    }
    std::string path = "/images/" + ref->familiar_name() + "/push?tag=" + q(tag);
    cli.exit_code = run_json_stream(cli, "POST", path, {}, {{"X-Registry-Auth", registry_auth_header(o->name)}}, o->quiet);
  });
}

}  // namespace berth::cli
