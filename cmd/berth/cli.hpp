// What every berth verb shares: the daemon connection (chosen from -H, BERTH_HOST, DOCKER_HOST),
// docker's error wording and exit codes, and output helpers.
#pragma once
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "api/http_client.hpp"
#include "common/error.hpp"

namespace berth::cli {

struct Cli {
  std::string host;  // -H; else BERTH_HOST, DOCKER_HOST, the default socket
  // --tls/--tlsverify and the files; DOCKER_TLS_VERIFY and DOCKER_CERT_PATH as docker reads them.
  bool tls = false, tlsverify = false;
  std::string tlscacert, tlscert, tlskey;
  std::optional<api::ApiClient> client;
  int exit_code = 0;

  // The negotiated client; on failure prints the error and returns null.
  api::ApiClient* api();
  // Prints "Error response from daemon: <message>" (as docker does) and returns 1.
  int daemon_error(const api::ClientResponse& r);
  int error(const std::string& message);  // "Error: <message>", 1
  // GET path and parse JSON; prints the error and returns nullopt on failure.
  std::optional<nlohmann::json> get_json(const std::string& path);
};

// The X-Registry-Auth header for an image reference: credentials for its registry from the
// user's docker config.json, else an empty auth ("e30=" is "{}").
std::string registry_auth_header(const std::string& reference);

// Query-string escaping.
std::string q(std::string_view s);
// "reg:5000/x:1" -> {"reg:5000/x", "1"}: the tag follows the last ':' after the last '/'.
std::pair<std::string, std::string> split_repo_tag(const std::string& name);
// --filter name=value flags as the API's filters JSON; prints the error and returns nullopt.
std::optional<nlohmann::json> filters_json(Cli& cli, const std::vector<std::string>& flags);

// Registers each verb on app; each verb sets cli.exit_code when it runs.
void add_version(CLI::App& app, Cli& cli);
void add_info(CLI::App& app, Cli& cli);
void add_images(CLI::App& app, Cli& cli);  // `images` and `image ls`
void add_pull(CLI::App& app, Cli& cli);
void add_push(CLI::App& app, Cli& cli);
void add_tag(CLI::App& app, Cli& cli);
void add_rmi(CLI::App& app, Cli& cli);
void add_image_prune(CLI::App& image, Cli& cli);
void add_save(CLI::App& app, Cli& cli);
void add_load(CLI::App& app, Cli& cli);
void add_build(CLI::App& app, Cli& cli);
void add_import(CLI::App& app, Cli& cli);
void add_history(CLI::App& app, Cli& cli);
void add_inspect(CLI::App& app, Cli& cli);
void add_events(CLI::App& app, Cli& cli);
void add_run(CLI::App& app, Cli& cli);  // `run` and `create`
void add_container_simple_verbs(CLI::App& app, Cli& cli);  // start stop kill rm wait
void add_logs(CLI::App& app, Cli& cli);
void add_ps(CLI::App& app, Cli& cli);
void add_container_ls(CLI::App& container, Cli& cli);  // `container ls` (list, ps)
void add_container_inspect(CLI::App& container, Cli& cli);
void add_container_state_verbs(CLI::App& app, Cli& cli);  // pause unpause restart rename
void add_container_prune(CLI::App& container, Cli& cli);
void add_attach(CLI::App& app, Cli& cli);
void add_top(CLI::App& app, Cli& cli);
void add_stats(CLI::App& app, Cli& cli);
void add_port(CLI::App& app, Cli& cli);
void add_update(CLI::App& app, Cli& cli);
void add_exec(CLI::App& app, Cli& cli);
void add_cp(CLI::App& app, Cli& cli);
void add_diff(CLI::App& app, Cli& cli);
void add_commit(CLI::App& app, Cli& cli);
void add_export(CLI::App& app, Cli& cli);
void add_network(CLI::App& app, Cli& cli);  // network ls|create|inspect|rm|prune|connect|disconnect
void add_volume(CLI::App& app, Cli& cli);   // volume create|ls|inspect|rm|prune

}  // namespace berth::cli
