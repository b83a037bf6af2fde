// berth-runtime: a drop-in for runc. Parses global flags, dispatches to a verb, prints an
// error once (stderr, and the --log file in text or JSON as containerd expects).
#include <cstdio>
#include <algorithm>
#include <cstdlib>

#include "common/log.hpp"
#include "runtime/seccomp/seccomp.hpp"
#include "verbs.hpp"

namespace berth::cli {
namespace {
Action g_action;

// runc (like any Go CLI) stops reading flags at the first argument after the container id,
// so `exec ID sh -c x` passes -c to sh. Insert "--" after the id of exec and ps to get that.
std::vector<std::string> split_command_args(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const std::vector<std::string> global_values = {"--root", "--log", "--log-format", "--criu", "--rootless"};
  const std::vector<std::string> exec_values = {"-p", "--process", "--console-socket", "--pid-file", "--cwd", "-e",
                                                "--env", "-u", "--user", "-g", "--additional-gids", "-c", "--cap",
                                                "--preserve-fds", "--apparmor", "--process-label", "--cgroup"};
  const std::vector<std::string> ps_values = {"-f", "--format"};
  auto takes_value = [](const std::vector<std::string>& list, const std::string& a) {
    return a.find('=') == std::string::npos && std::find(list.begin(), list.end(), a) != list.end();
  };
  size_t i = 0;
  for (; i < args.size(); ++i) {
    if (args[i].empty() || args[i][0] != '-') break;
    if (takes_value(global_values, args[i])) ++i;
  }
  if (i >= args.size() || (args[i] != "exec" && args[i] != "ps")) return args;
  const auto& values = args[i] == "exec" ? exec_values : ps_values;
  for (size_t j = i + 1; j < args.size(); ++j) {
    if (args[j] == "--") return args;
    if (!args[j].empty() && args[j][0] == '-') {
      if (takes_value(values, args[j])) ++j;
      continue;
    }
    if (j + 1 < args.size()) args.insert(args.begin() + static_cast<long>(j) + 1, "--");
    return args;
  }
  return args;
}
}  // namespace
void set_action(CLI::App* sub, Action a) {
  sub->callback([a] { g_action = a; });
}
}  // namespace berth::cli

int main(int argc, char** argv) {
  using namespace berth;
  cli::Globals g;
  CLI::App app{"berth-runtime: an OCI container runtime", "berth-runtime"};
  app.require_subcommand(0, 1);
  app.set_version_flag("-v,--version",
                       "berth-runtime version 0.1.0\nspec: 1.2.0\nlibseccomp: 2.5.4");
  app.add_option("--root", g.opts.root, "root directory for container state");
  app.add_option("--log", g.log_path, "log file (default: stderr)");
  app.add_option("--log-format", g.log_format, "log format: text or json")->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--debug", g.debug, "debug logging");
  app.add_flag("--systemd-cgroup", g.opts.systemd_cgroup, "cgroupsPath is slice:prefix:name");
  std::string ignored;
  app.add_option("--criu", ignored, "ignored (checkpointing is not supported)");
  app.add_option("--rootless", ignored, "ignored (auto)");
  cli::add_spec(app, g);
  cli::add_create(app, g);
  cli::add_start(app, g);
  cli::add_run(app, g);
  cli::add_state(app, g);
  cli::add_list(app, g);
  cli::add_kill(app, g);
  cli::add_delete(app, g);
  cli::add_exec(app, g);
  cli::add_ps(app, g);
  cli::add_pause_resume(app, g);
  cli::add_features(app, g);
  cli::add_update(app, g);
  cli::add_events(app, g);
  try {
    auto args = cli::split_command_args(argc, argv);
    std::reverse(args.begin(), args.end());  // CLI11 takes a reversed vector
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (!log::configure(g.log_path, g.log_format == "json" ? log::Format::Json : log::Format::Text, g.debug)) {
    std::fprintf(stderr, "berth-runtime: cannot open log file %s\n", g.log_path.c_str());
    return 1;
  }
  // Compiled seccomp programs live with the state, so each --root has (and removes) its own.
  g.opts.seccomp_cache_dir = g.opts.root + "/.seccomp-cache";
  g.opts.on_warning = [](const std::string& w) { log::warn(w); };
  if (!cli::g_action) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  }
  auto r = cli::g_action();
  if (!r) {
    std::string msg = r.error().what();
    log::error(msg);
    if (log::to_file()) std::fprintf(stderr, "berth-runtime: %s\n", msg.c_str());
    return 1;
  }
  return *r;
}
