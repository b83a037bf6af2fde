// berth exec: create the exec, then start it attached (attach.cpp's session: live output, -i
// stdin, -t raw terminal with its size, detach keys) and exit with its exit code; -d starts it
// detached. docker's exit codes: 126/127 when the command cannot be run, the daemon's refusal 1.
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>

#include "container_verbs.hpp"
#include "env_file.hpp"

namespace berth::cli {

namespace {

struct ExecOpts {
  std::string container, user, workdir, detach_keys;
  std::vector<std::string> command, env, env_files;
  bool interactive = false, tty = false, detach = false, privileged = false;
};

nlohmann::json exec_create_body(const ExecOpts& o, const std::vector<std::string>& env) {
  nlohmann::json body = {{"User", o.user},
                         {"Privileged", o.privileged},
                         {"Tty", o.tty},
                         {"AttachStdin", o.interactive && !o.detach},
                         {"AttachStdout", !o.detach},
                         {"AttachStderr", !o.detach},
                         {"DetachKeys", o.detach_keys},
                         {"Env", env},
                         {"WorkingDir", o.workdir},
                         {"Cmd", o.command}};
  winsize ws{};
  if (o.tty && !o.detach && ioctl(isatty(STDIN_FILENO) ? STDIN_FILENO : STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
      ws.ws_row > 0 && ws.ws_col > 0)
    body["ConsoleSize"] = {ws.ws_row, ws.ws_col};
  return body;
}

int exec(Cli& cli, const ExecOpts& o) {
  std::vector<std::string> env;
  for (auto& f : o.env_files) {
    auto vars = read_env_file(f);
    if (!vars) return cli.error(vars.error().what()), 125;
    env.insert(env.end(), vars->begin(), vars->end());
  }
  env.insert(env.end(), o.env.begin(), o.env.end());
  auto keys = resolve_detach_keys(cli, o.detach_keys);
  if (!keys) return 125;
  ExecOpts opts = o;
  opts.detach_keys = *keys;
  if (o.tty && o.interactive && !o.detach && !isatty(STDIN_FILENO)) {
    std::fprintf(stderr, "the input device is not a TTY\n");
    return 1;
  }
  auto* c = cli.api();
  if (!c) return 1;
  auto r = c->call("POST", "/containers/" + q(o.container) + "/exec", exec_create_body(opts, env).dump(),
                   {{"Content-Type", "application/json"}});
  if (!r) return cli.error(r.error().what()), 1;
  if (r->status != 201) return cli.daemon_error(*r);
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  std::string id = j.is_object() ? j.value("Id", "") : "";
  if (o.detach) {
    auto s = c->call("POST", "/exec/" + q(id) + "/start", nlohmann::json{{"Detach", true}, {"Tty", o.tty}}.dump(),
                     {{"Content-Type", "application/json"}});
    if (!s) return cli.error(s.error().what()), 1;
    if (s->status >= 300) return cli.daemon_error(*s);
    return 0;
  }
  AttachOptions ao;
  ao.tty = o.tty;
  ao.stdin_ = o.interactive;
  ao.sig_proxy = false;  // docker exec forwards no signals
  ao.detach_keys = *keys;
  ao.path = "/exec/" + q(id) + "/start";
  ao.body = nlohmann::json{{"Detach", false}, {"Tty", o.tty}}.dump();
  ao.resize_path = "/exec/" + q(id) + "/resize";
  auto a = attach_container(cli, o.container, ao, {});
  if (!a) return cli.error(a.error().what()), 1;
  if (a->detached) return 0;
  auto ins = cli.get_json("/exec/" + q(id) + "/json");
  if (!ins) return 1;
  auto code = (*ins)["ExitCode"];
  return code.is_number_integer() ? code.get<int>() : 0;
}

}  // namespace

void add_exec(CLI::App& app, Cli& cli) {
  auto o = std::make_shared<ExecOpts>();
  auto* sub = app.add_subcommand("exec", "Execute a command in a running container");
  sub->add_option("container", o->container, "CONTAINER")->required();
  sub->add_option("command", o->command, "COMMAND [ARG...]")->required();
  sub->add_flag("-i,--interactive", o->interactive, "Keep STDIN open even if not attached");
  sub->add_flag("-t,--tty", o->tty, "Allocate a pseudo-TTY");
  sub->add_flag("-d,--detach", o->detach, "Detached mode: run command in the background");
  sub->add_option("-e,--env", o->env, "Set environment variables")->allow_extra_args(false);  // one value each time, repeatable
  sub->add_option("--env-file", o->env_files, "Read in a file of environment variables")->allow_extra_args(false);  // one value each time, repeatable
  sub->add_option("-u,--user", o->user, "Username or UID (format: \"<name|uid>[:<group|gid>]\")");
  sub->add_option("-w,--workdir", o->workdir, "Working directory inside the container");
  sub->add_flag("--privileged", o->privileged, "Give extended privileges to the command");
  sub->add_option("--detach-keys", o->detach_keys, "Override the key sequence for detaching a container");
  sub->positionals_at_end(true);
  sub->prefix_command(false);
  sub->callback([&cli, o] { cli.exit_code = exec(cli, *o); });
}

}  // namespace berth::cli
