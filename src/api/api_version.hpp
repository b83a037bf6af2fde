// API versions as dockerd negotiates them: a request names its version in a "/vX.Y" path prefix
// (none means the newest); versions outside [kMinApiVersion, kMaxApiVersion] are refused with
// dockerd's 400 message. The client learns kMaxApiVersion from /_ping's API-Version header.
#pragma once
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace berth::api {

// 1.41: Docker 20.10's client and python3-docker. 1.50: Docker 28.x's client.
inline constexpr std::string_view kMinApiVersion = "1.41";
inline constexpr std::string_view kMaxApiVersion = "1.50";

// Numeric comparison of dotted versions ("1.9" < "1.10"): <0, 0, >0.
int compare_versions(std::string_view a, std::string_view b);

struct VersionedPath {
  std::string version;  // "" when the path had no prefix
  std::string path;     // the rest, starting with '/'
};
// "/v1.50/images/json" -> {"1.50", "/images/json"}; "/_ping" -> {"", "/_ping"}.
VersionedPath split_version(std::string_view path);

// The version a request is served at, or dockerd's error for one out of range.
Result<std::string> negotiate_version(std::string_view requested);

}  // namespace berth::api
