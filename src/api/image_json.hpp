// Images in the Engine API's shapes: the summary that /images/json lists, the document that
// /images/{name}/json returns, and /images/{name}/history's entries.
#pragma once
#include <nlohmann/json.hpp>
#include <map>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "image/image_service.hpp"

namespace berth::api {

// Seconds since the epoch of an RFC 3339 time; 0 when it does not parse.
int64_t unix_seconds(const std::string& rfc3339);
// The image's config document ("config" holds Env, Cmd, Labels ...).
nlohmann::json image_config(image::ImageService& svc, const image::ImageRecord& rec);
nlohmann::json image_labels(const nlohmann::json& config);
nlohmann::json image_summary(const image::ImageRecord& rec, const nlohmann::json& config, const std::string& api_version);
nlohmann::json image_inspect(image::ImageService& svc, const image::ImageRecord& rec, const nlohmann::json& config,
                             const std::string& api_version);
// How many images use each layer chain, and the bytes of rec that other images share.
std::map<std::string, int> layer_users(const std::vector<image::ImageRecord>& images);
int64_t shared_size(const image::ImageRecord& rec, const std::map<std::string, int>& users);
Result<nlohmann::json> image_history(image::ImageService& svc, std::string_view name);
// Go's architecture names: x86_64 -> amd64, aarch64 -> arm64.
std::string go_arch(const std::string& machine);

}  // namespace berth::api
