// berth diff: the changes of a container's writable layer, one "K /path" line each.
#include "cli.hpp"

namespace berth::cli {

void add_diff(CLI::App& app, Cli& cli) {
  auto* sub = app.add_subcommand("diff", "Inspect changes to files or directories on a container's filesystem");
  auto name = std::make_shared<std::string>();
  sub->add_option("container", *name, "CONTAINER")->required();
  sub->callback([&cli, name] {
    auto j = cli.get_json("/containers/" + q(*name) + "/changes");
    if (!j || !j->is_array()) return;
    for (auto& ch : *j) {
      int k = ch.value("Kind", 0);
      std::printf("%c %s\n", k == 1 ? 'A' : k == 2 ? 'D' : 'C', ch.value("Path", "").c_str());
    }
  });
}

}  // namespace berth::cli
