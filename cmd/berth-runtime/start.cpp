#include "verbs.hpp"

namespace berth::cli {

void add_start(CLI::App& app, Globals& g) {
  auto* sub = app.add_subcommand("start", "start a created container");
  static std::string id;
  sub->add_option("id", id, "container id")->required();
  set_action(sub, [&g]() -> Result<int> {
    BERTH_CHECK(runtime::start_container(g.opts, id), "");
    return 0;
  });
}

}  // namespace berth::cli
