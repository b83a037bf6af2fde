// Helpers the container verbs share: printing a container's output as the logs endpoint sends
// it (multiplexed frames without a TTY, raw with one).
#pragma once
#include <functional>
#include <optional>
#include <string>

#include "cli.hpp"

namespace berth::cli {

// Writes the logs body to stdout/stderr; returns false on a malformed stream.
bool print_container_output(const std::string& body, bool tty);
// True when the container was created with a TTY (its logs are a raw stream).
bool container_tty(Cli& cli, const std::string& id);

// An attach session (attach.cpp).
struct AttachOptions {
  bool stdin_ = false, tty = false, sig_proxy = true;
  std::string detach_keys;  // docker's format; empty: the daemon's default (ctrl-p,ctrl-q)
  // An exec's start instead of the container's attach: the hijacked path, its JSON body, and
  // where the terminal size goes.
  std::string path, body, resize_path;
};
struct AttachResult {
  bool detached = false;  // the detach keys ended it; the container runs on
};
// Hijacks the attach, runs after_attach (the start, for run and start -a), then streams until
// the output ends or the detach keys are typed.
Result<AttachResult> attach_container(Cli& cli, const std::string& id, const AttachOptions& o,
                                      const std::function<Result<>()>& after_attach);
// --detach-keys, else the docker config's detachKeys; nullopt (error printed) when invalid.
std::optional<std::string> resolve_detach_keys(Cli& cli, const std::string& flag);
// The container's exit status once it is not running (or, with "removed", gone).
int container_exit_status(Cli& cli, const std::string& id, const std::string& condition = "not-running");
// `berth start -a [-i]`: the container's exit status.
int start_attached(Cli& cli, const std::string& name, bool interactive, const std::string& detach_keys);

}  // namespace berth::cli
