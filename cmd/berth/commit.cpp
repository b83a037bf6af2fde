// berth commit: a container's changes as a new image (-a author, -m message, -c changes,
// -p pause, on by default).
#include <nlohmann/json.hpp>

#include "cli.hpp"

namespace berth::cli {

void add_commit(CLI::App& app, Cli& cli) {
  auto* sub = app.add_subcommand("commit", "Create a new image from a container's changes");
  struct Options {
    std::string container, repo, author, message;
    std::vector<std::string> changes;
    bool pause = true;
  };
  auto o = std::make_shared<Options>();
  sub->add_option("container", o->container, "CONTAINER")->required();
  sub->add_option("repository", o->repo, "[REPOSITORY[:TAG]]");
  sub->add_option("-a,--author", o->author, "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")");
  sub->add_option("-m,--message", o->message, "Commit message");
  // One value per -c (a vector option would swallow the positional arguments too).
  sub->add_option("-c,--change", o->changes, "Apply Dockerfile instruction to the created image")
      ->allow_extra_args(false);
  sub->add_flag("-p,--pause", o->pause, "Pause container during commit (--pause=false: do not)");
  sub->callback([&cli, o] {
    auto* c = cli.api();
    if (!c) return;
    std::string path = "/commit?container=" + q(o->container) + "&author=" + q(o->author) + "&comment=" + q(o->message) +
                       "&pause=" + (o->pause ? "1" : "0");
    if (!o->repo.empty()) {
      auto [repo, tag] = split_repo_tag(o->repo);
      path += "&repo=" + q(repo) + "&tag=" + q(tag);
    }
    for (auto& ch : o->changes) path += "&changes=" + q(ch);
    auto r = c->call("POST", path, "{}", {{"Content-Type", "application/json"}});
    if (!r) return (void)cli.error(r.error().what());
    if (r->status != 201 && r->status != 200) return (void)cli.daemon_error(*r);
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    std::printf("%s\n", j.is_object() ? j.value("Id", "").c_str() : "");
  });
}

}  // namespace berth::cli
