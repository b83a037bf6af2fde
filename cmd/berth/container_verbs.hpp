// Helpers the container verbs share: printing a container's output as the logs endpoint sends
// it (multiplexed frames without a TTY, raw with one).
#pragma once
#include <string>

#include "cli.hpp"

namespace berth::cli {

// Writes the logs body to stdout/stderr; returns false on a malformed stream.
bool print_container_output(const std::string& body, bool tty);
// True when the container was created with a TTY (its logs are a raw stream).
bool container_tty(Cli& cli, const std::string& id);

}  // namespace berth::cli
