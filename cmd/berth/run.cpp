// berth run and berth create: create the container; run then, unless detached, attaches to it
// before the start (attach.cpp: live output, -i stdin, -t raw terminal and size, detach keys),
// starts it and exits with its status. docker's exit codes: 125 when the daemon refuses, 126
// when the command cannot be run, 127 when it is not found.
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <tuple>

#include "container_verbs.hpp"
#include "duration.hpp"
#include "publish_flag.hpp"
#include "host_config_flags.hpp"
#include "mount_flags.hpp"
#include "restart_flag.hpp"

namespace berth::cli {

namespace {

struct RunOpts {
  std::string image, name, workdir, user, entrypoint, detach_keys, restart, stop_signal;
  std::optional<int> stop_timeout;
  bool init = false;
  std::vector<std::string> command, env;
  bool rm = false, detach = false, tty = false, interactive = false, sig_proxy = true, create_only = false;
  std::string health_cmd, health_interval, health_timeout, health_start_period;
  int health_retries = 0;
  bool no_healthcheck = false;
  std::string network, ip, hostname;
  std::vector<std::string> dns, dns_search, dns_options, add_hosts, publish, expose, network_aliases;
  std::string domainname, mac;
  bool publish_all = false;
  HostConfigFlags hostcfg;
  MountFlags mounts;
};

// docker's Config.Healthcheck from the --health-* flags: null when none was given (the image's
// HEALTHCHECK applies); an error message for a bad duration or a contradiction.
std::optional<nlohmann::json> healthcheck_body(const RunOpts& o, std::string& error) {
  bool any = !o.health_cmd.empty() || !o.health_interval.empty() || !o.health_timeout.empty() ||
             !o.health_start_period.empty() || o.health_retries != 0;
  if (o.no_healthcheck) {
    if (any) {
      error = "--no-healthcheck conflicts with --health-* options";
      return std::nullopt;
    }
    return nlohmann::json{{"Test", {"NONE"}}};
  }
  if (!any) return nlohmann::json();
  nlohmann::json hc = nlohmann::json::object();
  if (!o.health_cmd.empty()) hc["Test"] = {"CMD-SHELL", o.health_cmd};
  for (auto [flag, text, key] : {std::tuple{"--health-interval", &o.health_interval, "Interval"},
                                 std::tuple{"--health-timeout", &o.health_timeout, "Timeout"},
                                 std::tuple{"--health-start-period", &o.health_start_period, "StartPeriod"}}) {
    if (text->empty()) continue;
    auto ns = parse_go_duration(*text);
    if (!ns) {
      error = std::string("invalid argument \"") + *text + "\" for \"" + flag + "\" flag: time: invalid duration \"" + *text + "\"";
      return std::nullopt;
    }
    if (*ns < 0) {
      error = std::string(flag) + " cannot be negative";
      return std::nullopt;
    }
    hc[key] = *ns;
  }
  if (o.health_retries < 0) {
    error = "--health-retries cannot be negative";
    return std::nullopt;
  }
  if (o.health_retries) hc["Retries"] = o.health_retries;
  return hc;
}

Result<nlohmann::json> run_create_body(const RunOpts& o) {
  // StdinOnce: the first attached client's EOF closes the container's stdin (run and create
  // -i, as docker; not run -d -i, whose stdin stays open for later attaches).
  bool attach_stdin = o.interactive && (!o.detach || o.create_only);
  nlohmann::json body = {{"Image", o.image},         {"Tty", o.tty},
                         {"OpenStdin", o.interactive}, {"StdinOnce", attach_stdin},
                         {"AttachStdin", attach_stdin}, {"AttachStdout", !o.detach || o.create_only},
                         {"AttachStderr", !o.detach || o.create_only}};
  if (!o.command.empty()) body["Cmd"] = o.command;
  if (!o.env.empty()) body["Env"] = o.env;
  if (!o.workdir.empty()) body["WorkingDir"] = o.workdir;
  if (!o.user.empty()) body["User"] = o.user;
  if (!o.entrypoint.empty()) body["Entrypoint"] = nlohmann::json::array({o.entrypoint});
  // --rm: the daemon removes it when it exits, also after a detach (as docker does).
  body["HostConfig"] = {{"AutoRemove", o.rm}};
  // As docker sends it: the mode ("default" when none is given).
  body["HostConfig"]["NetworkMode"] = o.network.empty() ? "default" : o.network;
  // As docker sends them: the fixed address and the aliases as that network's endpoint settings.
  nlohmann::json endpoint = nlohmann::json::object();
  if (!o.ip.empty()) endpoint["IPAMConfig"] = {{"IPv4Address", o.ip}};
  if (!o.network_aliases.empty()) endpoint["Aliases"] = o.network_aliases;
  if (!endpoint.empty())
    body["NetworkingConfig"] = {{"EndpointsConfig", {{o.network.empty() ? "default" : o.network, endpoint}}}};
  if (!o.dns.empty()) body["HostConfig"]["Dns"] = o.dns;
  if (!o.dns_search.empty()) body["HostConfig"]["DnsSearch"] = o.dns_search;
  if (!o.dns_options.empty()) body["HostConfig"]["DnsOptions"] = o.dns_options;
  if (!o.add_hosts.empty()) body["HostConfig"]["ExtraHosts"] = o.add_hosts;
  if (!o.domainname.empty()) body["Domainname"] = o.domainname;
  if (!o.mac.empty()) body["MacAddress"] = o.mac;
  nlohmann::json bindings = nlohmann::json::object(), exposed = nlohmann::json::object();
  for (auto& e : o.expose) BERTH_CHECK(add_expose(exposed, e), "");
  for (auto& p : o.publish) BERTH_CHECK(add_publish(bindings, exposed, p), "");
  if (!exposed.empty()) body["ExposedPorts"] = exposed;
  if (!bindings.empty()) body["HostConfig"]["PortBindings"] = bindings;
  if (o.publish_all) body["HostConfig"]["PublishAllPorts"] = true;
  if (!o.hostname.empty()) body["Hostname"] = o.hostname;
  if (!o.restart.empty()) body["HostConfig"]["RestartPolicy"] = BERTH_TRY(parse_restart_flag(o.restart), "");
  if (o.init) body["HostConfig"]["Init"] = true;
  BERTH_CHECK(apply_host_config_flags(o.hostcfg, body["HostConfig"]), "");
  BERTH_CHECK(apply_mount_flags(o.mounts, body), "");
  if (!o.stop_signal.empty()) body["StopSignal"] = o.stop_signal;
  if (o.stop_timeout) body["StopTimeout"] = *o.stop_timeout;
  std::string hc_error;
  if (auto hc = healthcheck_body(o, hc_error); hc && !hc->is_null()) body["Healthcheck"] = *hc;
  winsize ws{};
  if (o.tty && !o.detach && ioctl(isatty(STDIN_FILENO) ? STDIN_FILENO : STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
      ws.ws_row > 0 && ws.ws_col > 0)
    body["HostConfig"]["ConsoleSize"] = {ws.ws_row, ws.ws_col};  // the terminal's size from the first byte
  return body;
}

// docker's mapping of a failed start to an exit status.
int start_failure_status(const std::string& message) {
  if (message.find("executable file not found") != std::string::npos ||
      message.find("no such file or directory") != std::string::npos ||
      message.find("No such file or directory") != std::string::npos)
    return 127;
  if (message.find("permission denied") != std::string::npos || message.find("Permission denied") != std::string::npos)
    return 126;
  return 125;
}

// Creates the container; prints docker's error and returns "" on failure (exit code 125).
std::string create(Cli& cli, const RunOpts& o) {
  std::string hc_error;
  if (!healthcheck_body(o, hc_error)) {
    cli.error(hc_error);
    return "";
  }
  auto* c = cli.api();
  if (!c) return "";
  std::string path = "/containers/create" + (o.name.empty() ? "" : "?name=" + q(o.name));
  auto body = run_create_body(o);
  if (!body) {
    cli.error(body.error().message);
    return "";
  }
  auto r = c->call("POST", path, body->dump(), {{"Content-Type", "application/json"}});
  if (!r) {
    cli.error(r.error().what());
    return "";
  }
  if (r->status == 404) std::fprintf(stderr, "Unable to find image '%s' locally\n", o.image.c_str());
  if (r->status != 201) {
    cli.daemon_error(*r);
    return "";
  }
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  return j.is_object() ? j.value("Id", "") : "";
}

int run(Cli& cli, const RunOpts& o) {
  AttachOptions ao;
  ao.tty = o.tty;
  ao.stdin_ = o.interactive;
  ao.sig_proxy = o.sig_proxy;
  if (!o.detach) {
    auto keys = resolve_detach_keys(cli, o.detach_keys);
    if (!keys) return 125;
    ao.detach_keys = *keys;
    if (o.tty && o.interactive && !isatty(STDIN_FILENO)) {
      std::fprintf(stderr, "the input device is not a TTY\n");
      return 1;
    }
  }
  std::string id = create(cli, o);
  if (id.empty()) return 125;
  auto* c = cli.api();
  std::string start_error;
  auto start = [&]() -> Result<> {
    auto s = c->call("POST", "/containers/" + id + "/start");
    if (!s || s->status >= 300) {
      start_error = s ? api::error_message(*s) : s.error().what();
      return fail(ErrorKind::Internal, start_error);
    }
    return {};
  };
  auto start_failed = [&] {
    std::fprintf(stderr, "Error response from daemon: %s\n", start_error.c_str());
    if (o.rm) (void)c->call("DELETE", "/containers/" + id + "?force=1");
    return start_failure_status(start_error);
  };
  if (o.detach) {
    if (!start()) return start_failed();
    std::printf("%s\n", id.c_str());
    return 0;
  }
  auto r = attach_container(cli, id, ao, start);
  if (!start_error.empty()) return start_failed();
  if (!r) {
    cli.error(r.error().what());
    return 125;
  }
  if (r->detached) return 0;
  return container_exit_status(cli, id, o.rm ? "removed" : "not-running");
}

void add_options(CLI::App* sub, RunOpts& o) {
  sub->add_option("image", o.image, "IMAGE")->required();
  sub->add_option("command", o.command, "COMMAND [ARG...]");
  sub->add_option("--name", o.name, "Assign a name to the container");
  sub->add_option("-e,--env", o.env, "Set environment variables")->allow_extra_args(false);  // one value each time, repeatable
  sub->add_option("-w,--workdir", o.workdir, "Working directory inside the container");
  sub->add_option("-u,--user", o.user, "Username or UID (format: <name|uid>[:<group|gid>])");
  sub->add_option("--entrypoint", o.entrypoint, "Overwrite the default ENTRYPOINT of the image");
  sub->add_flag("--rm", o.rm, "Automatically remove the container when it exits");
  sub->add_flag("-t,--tty", o.tty, "Allocate a pseudo-TTY");
  sub->add_flag("-i,--interactive", o.interactive, "Keep STDIN open even if not attached");
  sub->add_option("--detach-keys", o.detach_keys, "Override the key sequence for detaching a container");
  sub->add_flag("--sig-proxy,!--no-sig-proxy", o.sig_proxy, "Proxy received signals to the process");
  sub->add_option("--restart", o.restart, "Restart policy to apply when a container exits");
  sub->add_flag("--init", o.init, "Run an init inside the container that forwards signals and reaps processes");
  sub->add_option("--stop-signal", o.stop_signal, "Signal to stop the container");
  sub->add_option("--stop-timeout", o.stop_timeout, "Timeout (in seconds) to stop a container");
  sub->add_option("--network,--net", o.network, "Connect a container to a network");
  sub->add_option("--ip", o.ip, "IPv4 address (e.g., 172.30.100.104)");
  sub->add_option("--network-alias", o.network_aliases, "Add network-scoped alias for the container")->allow_extra_args(false);
  sub->add_option("--dns", o.dns, "Set custom DNS servers")->allow_extra_args(false);
  sub->add_option("--hostname", o.hostname, "Container host name");
  sub->add_option("--domainname", o.domainname, "Container NIS domain name");
  sub->add_option("--dns-search", o.dns_search, "Set custom DNS search domains")->allow_extra_args(false);
  sub->add_option("--dns-option", o.dns_options, "Set DNS options")->allow_extra_args(false);
  sub->add_option("--add-host", o.add_hosts, "Add a custom host-to-IP mapping (host:ip)")->allow_extra_args(false);
  sub->add_option("--mac-address", o.mac, "Container MAC address (e.g., 92:d0:c6:0a:29:33)");
  sub->add_option("-p,--publish", o.publish, "Publish a container's port(s) to the host")->allow_extra_args(false);
  sub->add_flag("-P,--publish-all", o.publish_all, "Publish all exposed ports to random ports");
  sub->add_option("--expose", o.expose, "Expose a port or a range of ports")->allow_extra_args(false);
  sub->add_option("--health-cmd", o.health_cmd, "Command to run to check health");
  sub->add_option("--health-interval", o.health_interval, "Time between running the check (ms|s|m|h)");
  sub->add_option("--health-timeout", o.health_timeout, "Maximum time to allow one check to run (ms|s|m|h)");
  sub->add_option("--health-start-period", o.health_start_period,
                  "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h)");
  sub->add_option("--health-retries", o.health_retries, "Consecutive failures needed to report unhealthy");
  sub->add_flag("--no-healthcheck", o.no_healthcheck, "Disable any container-specified HEALTHCHECK");
  add_host_config_flags(sub, o.hostcfg);
  add_mount_flags(sub, o.mounts);
  sub->positionals_at_end(true);
  sub->prefix_command(false);
}

}  // namespace

void add_run(CLI::App& app, Cli& cli) {
  auto o = std::make_shared<RunOpts>();
  auto* sub = app.add_subcommand("run", "Create and run a new container from an image");
  add_options(sub, *o);
  sub->add_flag("-d,--detach", o->detach, "Run container in background and print container ID");
  sub->callback([&cli, o] { cli.exit_code = run(cli, *o); });

  auto oc = std::make_shared<RunOpts>();
  auto* create_cmd = app.add_subcommand("create", "Create a new container");
  add_options(create_cmd, *oc);
  create_cmd->callback([&cli, oc] {
    oc->detach = true;
    oc->create_only = true;
    std::string id = create(cli, *oc);
    if (id.empty()) {
      cli.exit_code = 125;
      return;
    }
    std::printf("%s\n", id.c_str());
  });
}

}  // namespace berth::cli
