#include "api/volume_json.hpp"

namespace berth::api {

using nlohmann::json;

json volume_json(const engine::VolumeRecord& v, engine::VolumeService& vs, bool with_usage) {
  json out = {{"CreatedAt", v.created},
              {"Driver", v.driver},
              {"Labels", v.labels.empty() ? json(nullptr) : json(v.labels)},
              {"Mountpoint", vs.mountpoint(v.name)},
              {"Name", v.name},
              {"Options", v.options.empty() ? json(nullptr) : json(v.options)},
              {"Scope", "local"}};
  if (with_usage) {
    auto users = vs.users(v.name);
    out["UsageData"] = {{"Size", vs.size(v.name)}, {"RefCount", users ? static_cast<int64_t>(users->size()) : -1}};
  }
  return out;
}

}  // namespace berth::api
