// Shows dockerd's JSON message stream (pull, push, load, import) as docker does: one line per
// layer redrawn in place with its progress bar on a terminal, plain status lines otherwise.
#pragma once
#include <string>

#include "cli.hpp"

namespace berth::cli {

// Sends the request and renders the response stream; returns the exit code (1 on an error
// message or status).
int run_json_stream(Cli& cli, const std::string& method, const std::string& path, const api::BodySource& body,
                    const std::map<std::string, std::string>& headers, bool quiet = false);

}  // namespace berth::cli
