// berthd: the Docker-compatible daemon. Parses dockerd's flags, merges them with daemon.json
// and serves the Engine API until SIGTERM.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "api/routes.hpp"
#include "api/server.hpp"
#include "common/log.hpp"
#include "engine/daemon_config.hpp"
#include "serve.hpp"

int main(int argc, char** argv) {
  CLI::App app{"berthd: a Docker-compatible container engine"};
  std::string data_root, exec_root, pidfile, config_file = "/etc/berth/daemon.json", log_level, group;
  std::string storage_driver, default_runtime, tlscacert, tlscert, tlskey, cri_socket, userns_remap;
  std::vector<std::string> hosts, insecure;
  bool debug = false, validate = false, version = false, tls = false, tlsverify = false, live_restore = false;
  auto* o_data = app.add_option("--data-root", data_root, "Root of persistent state (default /var/lib/berth)");
  auto* o_exec = app.add_option("--exec-root", exec_root, "Root of runtime state (default /run/berth)");
  auto* o_host = app.add_option("-H,--host", hosts, "Socket(s) to serve: unix:///path or tcp://127.0.0.1:PORT");
  auto* o_pid = app.add_option("-p,--pidfile", pidfile, "Pid file (default <exec-root>/berthd.pid)");
  auto* o_cfg = app.add_option("--config-file", config_file, "daemon.json to read");
  auto* o_debug = app.add_flag("-D,--debug", debug, "Debug logging");
  auto* o_level = app.add_option("-l,--log-level", log_level, "debug, info, warn, error, fatal");
  auto* o_group = app.add_option("-G,--group", group, "Group owning the unix sockets (default berth)");
  auto* o_storage = app.add_option("-s,--storage-driver", storage_driver, "Storage driver (overlay2 only)");
  auto* o_runtime = app.add_option("--default-runtime", default_runtime, "Runtime for containers");
  auto* o_insecure = app.add_option("--insecure-registry", insecure, "Registries reached over plain HTTP");
  auto* o_live = app.add_flag("--live-restore", live_restore, "Accepted: live restore is always on");
  auto* o_tls = app.add_flag("--tls", tls, "Serve TCP with TLS");
  auto* o_tlsverify = app.add_flag("--tlsverify", tlsverify, "Require client certificates");
  auto* o_ca = app.add_option("--tlscacert", tlscacert, "CA certificate for clients");
  auto* o_cert = app.add_option("--tlscert", tlscert, "Server certificate");
  auto* o_key = app.add_option("--tlskey", tlskey, "Server key");
  auto* o_cri = app.add_option("--cri-socket", cri_socket, "Serve the Kubernetes CRI (runtime.v1) on this unix socket");
  auto* o_remap = app.add_option("--userns-remap", userns_remap,
                                 "User/group for the containers' user namespaces: default, user, user:group, uid:gid");
  app.add_flag("--validate", validate, "Check the configuration and exit");
  app.add_flag("-v,--version", version, "Print the version and exit");
  CLI11_PARSE(app, argc, argv);
  if (version) {
    std::printf("berthd version %s\n", berth::api::kEngineVersion);
    return 0;
  }

  // Only the flags given on the command line, keyed as daemon.json keys them.
  nlohmann::json flags = nlohmann::json::object();
  auto given = [&](CLI::Option* o, const char* key, const nlohmann::json& v) {
    if (o->count() > 0) flags[key] = v;
  };
  given(o_data, "data-root", data_root);
  given(o_exec, "exec-root", exec_root);
  given(o_host, "hosts", hosts);
  given(o_pid, "pidfile", pidfile);
  given(o_debug, "debug", debug);
  given(o_level, "log-level", log_level);
  given(o_group, "group", group);
  given(o_storage, "storage-driver", storage_driver);
  given(o_runtime, "default-runtime", default_runtime);
  given(o_insecure, "insecure-registries", insecure);
  given(o_live, "live-restore", live_restore);
  given(o_tls, "tls", tls);
  given(o_tlsverify, "tlsverify", tlsverify);
  given(o_ca, "tlscacert", tlscacert);
  given(o_cert, "tlscert", tlscert);
  given(o_key, "tlskey", tlskey);
  given(o_cri, "cri", nlohmann::json{{"socket", cri_socket}});
  given(o_remap, "userns-remap", userns_remap);

  auto text = berth::engine::read_daemon_json(config_file, o_cfg->count() > 0);
  auto config = text ? berth::engine::load_daemon_config(*text, flags)
                     : berth::Result<berth::engine::DaemonConfig>(std::unexpected(text.error()));
  if (config)  // host strings are checked here too, so that --validate catches them
    for (auto& h : config->effective_hosts())
      if (auto a = berth::api::parse_host(h); !a) config = std::unexpected(a.error());
  if (!config) {
    std::fprintf(stderr, "berthd: %s\n", config.error().what().c_str());
    return 1;
  }
  if (validate) {
    std::printf("configuration OK\n");
    return 0;
  }
  berth::log::configure("", berth::log::Format::Text, config->debug || config->log_level == "debug");
  const auto& lvl = config->log_level;
  if (!config->debug)
    berth::log::set_min_level(lvl == "warn"                     ? berth::log::Level::Warn
                              : lvl == "error" || lvl == "fatal" ? berth::log::Level::Error
                                                                 : berth::log::Level::Debug);
  return berthd::serve(*config, o_group->count() > 0 || flags.contains("group"));
}
