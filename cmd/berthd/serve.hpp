// Runs the daemon until SIGTERM/SIGINT: pid file, data root, API listeners; all removed again
// on the way out.
#pragma once
#include "engine/daemon_config.hpp"

namespace berthd {

int serve(const berth::engine::DaemonConfig& config, bool group_given);

}  // namespace berthd
