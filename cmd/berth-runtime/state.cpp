#include <cstdio>

#include "verbs.hpp"

namespace berth::cli {

void add_state(CLI::App& app, Globals& g) {
  auto* sub = app.add_subcommand("state", "print the state of a container (OCI JSON)");
  static std::string id;
  sub->add_option("id", id, "container id")->required();
  set_action(sub, [&g]() -> Result<int> {
    auto info = BERTH_TRY(runtime::container_state(g.opts, id), "");
    std::printf("%s\n", runtime::oci_state(info.state, info.status).dump(2).c_str());
    return 0;
  });
}

}  // namespace berth::cli
