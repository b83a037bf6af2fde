#include "verbs.hpp"

namespace berth::cli {

void add_create_flags(CLI::App* sub, runtime::CreateOptions& o);

void add_run(CLI::App& app, Globals& g) {
  auto* sub = app.add_subcommand("run", "create and start a container");
  static runtime::CreateOptions o;
  static bool detach = false;
  add_create_flags(sub, o);
  sub->add_flag("-d,--detach", detach, "do not wait for the container to exit");
  set_action(sub, [&g]() -> Result<int> { return runtime::run_container(g.opts, o, detach); });
}

}  // namespace berth::cli
