// The device cgroup rules a container gets: the config's own, then the allow-list every
// container needs (as runc does): mknod of anything, the standard character devices, ptys,
// and the devices listed in linux.devices.
#pragma once
#include <nlohmann/json.hpp>
#include <vector>

#include "runtime/spec/spec.hpp"

namespace berth::runtime {

nlohmann::json with_default_device_rules(const nlohmann::json& resources, const std::vector<Device>& devices);

}  // namespace berth::runtime
