// PullImage's AuthConfig as registry credentials: username/password, or "auth" (base64 of
// "user:password", as in a docker config.json), an identity token, or a registry token that
// is sent to the registry as its bearer token. Nothing set: anonymous.
#pragma once
#include <optional>
#include <string>

#include "common/error.hpp"
#include "image/registry_auth.hpp"

namespace berth::cri {

struct AuthFields {
  std::string username = {}, password = {}, auth = {}, server_address = {}, identity_token = {}, registry_token = {};
};

// A malformed "auth" is an Invalid error naming the field.
Result<std::optional<image::Credentials>> pull_credentials(const AuthFields& a);

}  // namespace berth::cri
