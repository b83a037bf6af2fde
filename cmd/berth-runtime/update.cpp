// `update`: placeholder until the cgroup work lands its flags here.
#include "verbs.hpp"

namespace berth::cli {

void add_update(CLI::App& app, Globals& g) {}

}  // namespace berth::cli
