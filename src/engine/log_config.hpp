// A container's logging configuration (HostConfig.LogConfig): the driver (json-file, local,
// none; cri for the CRI's containers only) and its options, checked as dockerd checks them and with dockerd's wording, completed
// from daemon.json's log-driver and log-opts, and turned into a rotation policy and the file
// the shim writes. Rotation is on by default (json-file 10m x 3, local 20m x 5).
#pragma once
#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace berth::engine {

struct LogConfig {
  std::string type = "json-file";
  std::map<std::string, std::string> config;
};

struct Rotation {
  int64_t max_size = -1;  // bytes; < 0: never rotate
  int max_file = 1;       // files kept, the current one included
};

// The kubelet's log format (cri_log.hpp) in the file at Config["path"], which the kubelet
// rotates: asked for by the CRI server only. The Docker API does not know the driver (dockerd's
// "no log driver named 'cri' is registered").
inline constexpr const char* kCriLogDriver = "cri";

enum class LogFormat { JsonFile, Local, Cri };
struct LogFile {
  LogFormat format = LogFormat::JsonFile;
  std::string path;  // the current file; rotated ones are path.1 (newest) ... path.N
};

// Docker's human sizes (go-units FromHumanSize): "10", "1k", "10m", "1.5g", "10MB", "10 MiB";
// the units are decimal (1k = 1000), as dockerd reads max-size.
Result<int64_t> parse_log_size(std::string_view s);

// The driver name and its options, with dockerd's messages ("unknown log opt 'foo' for
// json-file log driver", "logger: no log driver named 'x' is registered"), values included.
Result<> validate_log_config(const LogConfig& c);

// The container's config: the request's LogConfig (null/absent when not given), its empty Type
// taken from the daemon's driver and, for that same driver, the daemon's opts filled in where
// the request has none; then berth's rotation defaults; then checked. allow_cri: the CRI server's
// request, which may ask for the cri driver (its one option, "path", an absolute path).
Result<LogConfig> resolve_log_config(const nlohmann::json& request, const std::string& daemon_driver,
                                     const std::map<std::string, std::string>& daemon_opts, bool allow_cri = false);

// Rotation of a validated json-file or local config.
Rotation rotation_of(const LogConfig& c);

// Where the shim writes and `docker logs` reads; nullopt for a driver that keeps no file.
std::optional<LogFile> log_file_for(const LogConfig& c, const std::string& container_dir, const std::string& id);

nlohmann::json log_config_json(const LogConfig& c);
// From a stored HostConfig.LogConfig; a missing or malformed one is the old default (json-file).
LogConfig log_config_from_json(const nlohmann::json& j);

}  // namespace berth::engine
