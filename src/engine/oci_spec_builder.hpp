// The OCI config.json for a container: berth-runtime's default spec, made Docker-like (Docker's
// default capabilities, a writable root, no no-new-privileges unless asked), then the image's
// config (Env, Entrypoint, Cmd, WorkingDir, User) overridden by the create request's Config.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "common/error.hpp"
#include "engine/user_lookup.hpp"

namespace berth::engine {

struct SpecInputs {
  std::string id;
  std::string rootfs;  // absolute path of the mounted root filesystem
  ResolvedUser user;
};

inline constexpr const char* kContainerInitPath = "/sbin/docker-init";
// --init: the host's init binary (tini) bind-mounted read-only at /sbin/docker-init and run as
// pid 1 in front of the command ("/sbin/docker-init -- cmd..."), as dockerd does.
void add_init_process(nlohmann::json& spec, const std::string& init_path);

// image_config: the image's "config" object (may be null). config: the create body's Config
// part (Cmd, Entrypoint, Env, WorkingDir, Hostname, Tty, OpenStdin...).
// Errors: Invalid with dockerd's wording ("No command specified").
Result<nlohmann::json> build_oci_spec(const nlohmann::json& image_config, const nlohmann::json& config,
                                      const SpecInputs& in);

// The user string the container runs as: the request's, else the image's.
std::string effective_user(const nlohmann::json& image_config, const nlohmann::json& config);

}  // namespace berth::engine
