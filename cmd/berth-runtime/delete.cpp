#include "verbs.hpp"

namespace berth::cli {

void add_delete(CLI::App& app, Globals& g) {
  auto* sub = app.add_subcommand("delete", "delete a container and what it owns")->alias("rm");
  static std::string id;
  static bool force = false;
  sub->add_option("id", id, "container id")->required();
  sub->add_flag("-f,--force", force, "kill a running container first");
  set_action(sub, [&g]() -> Result<int> {
    BERTH_CHECK(runtime::delete_container(g.opts, id, force), "");
    return 0;
  });
}

}  // namespace berth::cli
