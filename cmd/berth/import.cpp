// berth import: a root filesystem tarball (file or "-" for stdin) as a one-layer image.
#include "body_file.hpp"
#include "cli.hpp"
#include "progress.hpp"

namespace berth::cli {

void add_import(CLI::App& app, Cli& cli) {
  auto* sub = app.add_subcommand("import", "Import the contents from a tarball to create a filesystem image");
  struct Options {
    std::string file, name, message, platform;
  };
  auto o = std::make_shared<Options>();
  sub->add_option("file", o->file, "file|-")->required();
  sub->add_option("repository", o->name, "REPOSITORY[:TAG]");
  sub->add_option("-m,--message", o->message, "Set commit message for imported image");
  sub->add_option("--platform", o->platform, "Set platform if server is multi-platform capable");
  sub->callback([&cli, o] {
    auto body = file_body(o->file);
    if (!body) return (void)cli.error("open " + o->file + ": " + std::strerror(errno));
    auto [repo, tag] = split_repo_tag(o->name);
    std::string path = "/images/create?fromSrc=-&repo=" + q(repo) + "&tag=" + q(tag) + "&message=" + q(o->message);
    if (!o->platform.empty()) path += "&platform=" + q(o->platform);
    cli.exit_code = run_json_stream(cli, "POST", path, body, {{"Content-Type", "application/x-tar"}});
  });
}

}  // namespace berth::cli
