#include "verbs.hpp"

namespace berth::cli {

void add_exec(CLI::App& app, Globals& g) {
  auto* sub = app.add_subcommand("exec", "run a new process inside a container");
  static runtime::ExecOptions o;
  static std::vector<std::string> cmd;
  sub->add_option("id", o.id, "container id")->required();
  sub->add_option("command", cmd, "command and arguments");
  sub->add_option("-p,--process", o.process_file, "process JSON file");
  sub->add_flag("-t,--tty", o.tty, "allocate a pseudo-TTY");
  sub->add_option("--console-socket", o.console_socket, "unix socket that receives the pty master");
  sub->add_flag("-d,--detach", o.detach, "do not wait for the process");
  sub->add_option("--pid-file", o.pid_file, "file to write the process pid to");
  sub->add_option("--cwd", o.cwd, "working directory");
  // One value per flag, as runc: `exec -e A=b ID cmd` must not read ID as a second -e.
  sub->add_option("-e,--env", o.env, "environment variable (KEY=VALUE)")->allow_extra_args(false);
  sub->add_option("-u,--user", o.user, "UID[:GID]");
  sub->add_option("-g,--additional-gids", o.additional_gids, "additional gid")->allow_extra_args(false);
  sub->add_option("-c,--cap", o.caps, "add a capability")->allow_extra_args(false);
  sub->add_flag("--no-new-privs", o.no_new_privs, "set no_new_privs");
  sub->add_option("--preserve-fds", o.preserve_fds, "pass N extra fds (from 3)");
  std::string ignored;
  sub->add_option("--apparmor,--process-label,--cgroup", ignored, "accepted for compatibility");
  sub->positionals_at_end(false);
  sub->allow_extras(false);
  set_action(sub, [&g]() -> Result<int> {
    o.args = cmd;
    return runtime::exec_in_container(g.opts, o);
  });
}

}  // namespace berth::cli
