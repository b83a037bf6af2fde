#include "verbs.hpp"

namespace berth::cli {

void add_pause_resume(CLI::App& app, Globals& g) {
  static std::string pid, rid;
  auto* p = app.add_subcommand("pause", "freeze every process of a container");
  p->add_option("id", pid, "container id")->required();
  set_action(p, [&g]() -> Result<int> {
    BERTH_CHECK(runtime::pause_container(g.opts, pid), "");
    return 0;
  });
  auto* r = app.add_subcommand("resume", "thaw a paused container");
  r->add_option("id", rid, "container id")->required();
  set_action(r, [&g]() -> Result<int> {
    BERTH_CHECK(runtime::resume_container(g.opts, rid), "");
    return 0;
  });
}

}  // namespace berth::cli
