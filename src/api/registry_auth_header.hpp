// Registry credentials as clients send them: the /auth body and the X-Registry-Auth header
// (base64url of the same JSON: username, password, serveraddress, identitytoken).
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "common/error.hpp"
#include "image/registry_auth.hpp"

namespace berth::api {

struct AuthConfig {
  std::optional<image::Credentials> credentials;  // none when no user or token was given
  std::string server;                             // "127.0.0.1:5000", "docker.io"; "" when not named
};

Result<AuthConfig> parse_auth_config(const nlohmann::json& body);
// An empty header is anonymous access. Malformed ones are ignored as dockerd does (anonymous).
AuthConfig parse_registry_auth_header(std::string_view header);
// "https://index.docker.io/v1/" -> "docker.io"; "http://127.0.0.1:5000/" -> "127.0.0.1:5000".
std::string normalize_server_address(std::string_view addr);

}  // namespace berth::api
