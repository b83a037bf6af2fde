// berth pull: an image from a registry, with the daemon's progress.
#include "cli.hpp"
#include "image/reference.hpp"
#include "progress.hpp"

namespace berth::cli {

void add_pull(CLI::App& app, Cli& cli) {
  auto* sub = app.add_subcommand("pull", "Download an image from a registry");
  struct Options {
    std::string name, platform;
    bool quiet = false, all_tags = false;
  };
  auto o = std::make_shared<Options>();
  sub->add_option("name", o->name, "NAME[:TAG|@DIGEST]")->required();
  sub->add_option("--platform", o->platform, "Set platform if server is multi-platform capable");
  sub->add_flag("-q,--quiet", o->quiet, "Suppress verbose output");
  sub->add_flag("-a,--all-tags", o->all_tags, "Download all tagged images in the repository");
  sub->callback([&cli, o] {
    auto ref = image::Reference::parse(o->name);
    if (!ref) return (void)cli.error("invalid reference format: " + ref.error().message);
    if (o->all_tags) return (void)cli.error("--all-tags is not supported yet");
    std::string tag = ref->digest ? ref->digest->str() : (ref->tag.empty() ? "latest" : ref->tag);
    if (ref->tag.empty() && !ref->digest) std::printf("Using default tag: latest\n");
    std::string path = "/images/create?fromImage=" + q(ref->familiar_name()) + "&tag=" + q(tag);
    if (!o->platform.empty()) path += "&platform=" + q(o->platform);
    cli.exit_code = run_json_stream(cli, "POST", path, {}, {{"X-Registry-Auth", registry_auth_header(o->name)}}, o->quiet);
    if (cli.exit_code == 0) std::printf("%s\n", ref->digest ? ref->str().c_str() : (ref->domain + "/" + ref->path + ":" + tag).c_str());
  });
}

}  // namespace berth::cli
