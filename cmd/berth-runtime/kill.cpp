#include <csignal>

#include "common/process.hpp"
#include "verbs.hpp"

namespace berth::cli {

void add_kill(CLI::App& app, Globals& g) {
  auto* sub = app.add_subcommand("kill", "send a signal to the container's init (default SIGTERM)");
  static std::string id, signal = "SIGTERM";
  static bool all = false;
  sub->add_option("id", id, "container id")->required();
  sub->add_option("signal", signal, "signal name or number");
  sub->add_flag("-a,--all", all, "signal every process in the container");
  set_action(sub, [&g]() -> Result<int> {
    int sig = BERTH_TRY(parse_signal(signal), "");
    BERTH_CHECK(runtime::kill_container(g.opts, id, sig, all), "");
    return 0;
  });
}

}  // namespace berth::cli
