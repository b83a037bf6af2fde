// `events`: placeholder until the cgroup work lands its flags here.
#include "verbs.hpp"

namespace berth::cli {

void add_events(CLI::App& app, Globals& g) {}

}  // namespace berth::cli
