// berth-pause, the process a pod sandbox runs to hold its namespaces (cmd/berth-pause).
#pragma once
#include <string>

namespace berth::engine {

// berth-pause next to the running executable, as berth-shim is found.
std::string default_pause_path();

}  // namespace berth::engine
