#include "cli.hpp"

#include <cstdio>
#include <cstdlib>
#include <unistd.h>

#include "image/http.hpp"
#include "image/reference.hpp"
#include "image/registry_auth.hpp"

namespace berth::cli {

api::ApiClient* Cli::api() {
  if (client) return &*client;
  std::string h = host;
  if (h.empty()) {
    const char* b = std::getenv("BERTH_HOST");
    const char* dh = std::getenv("DOCKER_HOST");
    h = b && *b ? b : dh && *dh ? dh : "unix:///run/berth/berthd.sock";
  }
  api::ClientTls t;
  const char* env_verify = std::getenv("DOCKER_TLS_VERIFY");
  t.verify = tlsverify || (env_verify && *env_verify);
  t.enabled = tls || t.verify;
  if (t.enabled) {
    // Unset files default to ca.pem, cert.pem and key.pem in $DOCKER_CERT_PATH or ~/.docker.
    const char* cp = std::getenv("DOCKER_CERT_PATH");
    const char* home = std::getenv("HOME");
    std::string dir = cp && *cp ? cp : std::string(home ? home : "") + "/.docker";
    auto pick = [&](const std::string& given, const char* file) {
      if (!given.empty()) return given;
      std::string p = dir + "/" + file;
      return access(p.c_str(), R_OK) == 0 ? p : std::string();
    };
    t.ca = pick(tlscacert, "ca.pem");
    t.cert = pick(tlscert, "cert.pem");
    t.key = pick(tlskey, "key.pem");
  }
  auto c = api::ApiClient::open(h, t);
  if (!c) {
    error(c.error().what());
    return nullptr;
  }
  if (auto r = c->negotiate(); !r) {
    std::fprintf(stderr, "%s\n", r.error().what().c_str());
    exit_code = 1;
    return nullptr;
  }
  client = std::move(*c);
  return &*client;
}

int Cli::daemon_error(const api::ClientResponse& r) {
  std::fprintf(stderr, "Error response from daemon: %s\n", api::error_message(r).c_str());
  return exit_code = 1;
}

int Cli::error(const std::string& message) {
  std::fprintf(stderr, "Error: %s\n", message.c_str());
  return exit_code = 1;
}

std::optional<nlohmann::json> Cli::get_json(const std::string& path) {
  auto* c = api();
  if (!c) return std::nullopt;
  auto r = c->call("GET", path);
  if (!r) {
    error(r.error().what());
    return std::nullopt;
  }
  if (r->status != 200) {
    daemon_error(*r);
    return std::nullopt;
  }
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (j.is_discarded()) {
    error("malformed response from the daemon");
    return std::nullopt;
  }
  return j;
}

std::string registry_auth_header(const std::string& reference) {
  nlohmann::json auth = nlohmann::json::object();
  if (auto ref = image::Reference::parse(reference)) {
    auto creds = image::credentials_from_config(image::default_docker_config_path(), ref->domain);
    if (creds && *creds) {
      auth = {{"username", (*creds)->username}, {"password", (*creds)->password}, {"serveraddress", ref->domain}};
      if (!(*creds)->identity_token.empty()) auth["identitytoken"] = (*creds)->identity_token;
    }
  }
  std::string b = image::http::base64_encode(auth.dump());
  for (auto& ch : b) ch = ch == '+' ? '-' : ch == '/' ? '_' : ch;  // base64url, as docker sends it
  return b;
}

std::string q(std::string_view s) { return image::http::url_escape(s); }

std::pair<std::string, std::string> split_repo_tag(const std::string& name) {
  auto colon = name.rfind(':'), slash = name.rfind('/');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash))
    return {name.substr(0, colon), name.substr(colon + 1)};
  return {name, ""};
}

std::optional<nlohmann::json> filters_json(Cli& cli, const std::vector<std::string>& flags) {
  nlohmann::json filters = nlohmann::json::object();
  for (auto& f : flags) {
    auto eq = f.find('=');
    if (eq == std::string::npos) {
      cli.error("bad format of filter (expected name=value)");
      return std::nullopt;
    }
    filters[f.substr(0, eq)][f.substr(eq + 1)] = true;
  }
  return filters;
}

}  // namespace berth::cli
