// runc's `events --stats` "data" object read from the kernel's v1 or v2 files.
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "common/error.hpp"

namespace berth::runtime {

// dirs: controller -> directory, as CgroupV1 keeps them.
Result<nlohmann::json> cgroup_v1_stats(const std::map<std::string, std::string>& dirs);
Result<nlohmann::json> cgroup_v2_stats(const std::string& dir);

}  // namespace berth::runtime
