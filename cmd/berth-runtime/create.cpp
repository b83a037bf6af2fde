#include "verbs.hpp"

namespace berth::cli {

void add_create_flags(CLI::App* sub, runtime::CreateOptions& o) {
  sub->add_option("id", o.id, "container id")->required();
  sub->add_option("-b,--bundle", o.bundle, "path to the bundle (default: current directory)");
  sub->add_option("--pid-file", o.pid_file, "file to write the init's pid to");
  sub->add_option("--console-socket", o.console_socket, "unix socket that receives the pty master");
  sub->add_flag("--no-pivot", o.no_pivot, "use chroot instead of pivot_root");
  sub->add_flag("--no-new-keyring", o.no_new_keyring, "keep the caller's session keyring");
  sub->add_option("--preserve-fds", o.preserve_fds, "pass N extra fds (from 3) to the container");
}

void add_create(CLI::App& app, Globals& g) {
  auto* sub = app.add_subcommand("create", "create a container");
  static runtime::CreateOptions o;
  add_create_flags(sub, o);
  set_action(sub, [&g]() -> Result<int> {
    (void)BERTH_TRY(runtime::create_container(g.opts, o), "");
    return 0;
  });
}

}  // namespace berth::cli
