// The cgroup side of runc's `update` and `events` verbs, on a container the runtime created.
#pragma once
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "common/error.hpp"
#include "runtime/container.hpp"

namespace berth::runtime {

// Validates and writes the given linux.resources fields to the container's cgroup, then records
// them in the container's saved config. Nothing is written when validation fails.
Result<> update_container(const GlobalOptions& g, const std::string& id, const nlohmann::json& resources);

// runc's stats event: {"type":"stats","id":...,"data":{cpu, memory, pids, blkio, hugetlb}}.
Result<nlohmann::json> container_stats(const GlobalOptions& g, const std::string& id);

// Emits a stats event every interval and {"type":"oom","id":...} whenever the OOM killer acts
// in the container's cgroup; returns when the container stops or emit returns false.
Result<> stream_container_events(const GlobalOptions& g, const std::string& id, std::chrono::milliseconds interval,
                                 const std::function<bool(const nlohmann::json&)>& emit);

}  // namespace berth::runtime
