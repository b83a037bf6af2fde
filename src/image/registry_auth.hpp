// Registry credentials and auth challenges: Docker-style config.json ("auths" with base64
// "user:password" or username/password fields) and the 401 WWW-Authenticate header
// (Basic realm=..., or Bearer realm=...,service=...,scope=...).
#pragma once
#include <map>
#include <optional>
#include <string>

#include "common/error.hpp"

namespace berth::image {

struct Credentials {
  std::string username, password;
  std::string identity_token;  // OAuth refresh token some registries hand out instead
  std::string registry_token = {};  // a bearer token for the registry itself, sent without a token service
};

// $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json.
std::string default_docker_config_path();
// The entry for domain ("127.0.0.1:5000"; "docker.io" also matches Docker Hub's URL keys).
// A missing file means no credentials; a malformed one is an error naming the field.
Result<std::optional<Credentials>> credentials_from_config(const std::string& path, const std::string& domain);

struct Challenge {
  std::string scheme;  // "basic" or "bearer" (lower-case)
  std::map<std::string, std::string> params;  // realm, service, scope, error ...
};
Result<Challenge> parse_challenge(std::string_view header);

}  // namespace berth::image
