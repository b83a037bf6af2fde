#include "engine/pause_binary.hpp"

#include "common/process.hpp"

namespace berth::engine {

std::string default_pause_path() { return sibling_executable("berth-pause"); }

}  // namespace berth::engine
