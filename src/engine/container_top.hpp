// docker top: as dockerd does it, ps runs on the host with the client's arguments (default
// -ef) and only the rows of the container's processes are kept.
#pragma once
#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace berth::engine {

// dockerd refuses ps arguments that rename the PID column ("-o x=PID"): rows could not be matched.
Result<> validate_ps_args(const std::string& ps_args);
// {"Titles": [...], "Processes": [[...], ...]} from ps's output: the rows whose PID is one of
// pids, plus the thread rows ("-" in the PID column) that follow a kept row; the last column
// keeps its spaces (the command line).
Result<nlohmann::json> filter_ps_output(const std::string& output, const std::vector<pid_t>& pids);

}  // namespace berth::engine
