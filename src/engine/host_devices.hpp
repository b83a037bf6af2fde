// Device nodes of the host as OCI linux.devices entries: one for --device, all of /dev for
// --privileged (as dockerd lists them: no pts, shm, mqueue, fd or console).
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace berth::engine {

// The node at host_path as an OCI device placed at container_path. Not a device: Invalid,
// in dockerd's words ("error gathering device information while adding custom device ...").
Result<nlohmann::json> host_device(const std::string& host_path, const std::string& container_path);

// Every char and block device under /dev.
std::vector<nlohmann::json> all_host_devices();

// "/dev/sda" -> its major:minor, for the blkio throttles and weights.
Result<std::pair<int64_t, int64_t>> block_device_numbers(const std::string& path);

}  // namespace berth::engine
