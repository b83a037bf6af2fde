// berth tag SOURCE TARGET.
#include "cli.hpp"

namespace berth::cli {

void add_tag(CLI::App& app, Cli& cli) {
  auto* sub = app.add_subcommand("tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE");
  auto names = std::make_shared<std::pair<std::string, std::string>>();
  sub->add_option("source", names->first, "SOURCE_IMAGE[:TAG]")->required();
  sub->add_option("target", names->second, "TARGET_IMAGE[:TAG]")->required();
  sub->callback([&cli, names] {
    auto* c = cli.api();
    if (!c) return;
    auto [repo, tag] = split_repo_tag(names->second);
    auto r = c->call("POST", "/images/" + names->first + "/tag?repo=" + q(repo) + "&tag=" + q(tag));
    if (!r) return (void)cli.error(r.error().what());
    if (r->status != 201 && r->status != 200) cli.daemon_error(*r);
  });
}

}  // namespace berth::cli
