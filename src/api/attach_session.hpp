// An attach session's relay (the hijacked client connection <-> the shim's attach socket), shared
// by container attach and exec start; and the encoding of container output on the wire.
#pragma once
#include <functional>
#include <string>
#include <string_view>

#include "api/http.hpp"
#include "common/fd.hpp"
#include "engine/attach_protocol.hpp"
#include "engine/container_service.hpp"
#include "engine/log_reader.hpp"

namespace berth::api {

struct StreamFormat {
  bool tty = false, stdout_ = true, stderr_ = true, timestamps = false;
};

// The bytes one record becomes on the wire ("" when its stream was not asked for).
std::string encode(const engine::LogEntry& e, const StreamFormat& f);

// A resize's h and w query parameters, as dockerd checks them.
Result<std::pair<uint32_t, uint32_t>> parse_terminal_size(const Request& req);

// One attach session: the client's hijacked connection on one side, the shim's attach socket on
// the other. Output frames go to the client (multiplexed, or raw with a TTY); the client's bytes
// go to the container's stdin when stdin was asked for. With a TTY the detach keys end the
// session and leave the container running. Client EOF: with StdinOnce (no TTY) the container's
// stdin is closed and the output still streams to its end; otherwise the session ends, as with
// dockerd.
class AttachSession {
 public:
  AttachSession(int client, const StreamFormat& f, bool want_stdin, bool stdin_once, std::string detach_keys)
      : client_(client), f_(f), want_stdin_(want_stdin), stdin_once_(stdin_once),
        detach_(f.tty ? std::move(detach_keys) : std::string()) {}

  // Client bytes that came before the shim connection (the hijack's pending bytes, stdin typed
  // before the start).
  void early_input(std::string_view data) { early_ += data; }

  // Waits for the start that connects this attach; false when the client went away first.
  bool wait_for_start(engine::AttachWaiter& w);

  void run(UniqueFd shim);
  // An exec's session: called with the ExecExit payload as soon as it comes, before the client
  // hears the end of the stream (it asks for the exit code next).
  void on_exec_exit(std::function<void(const std::string&)> fn) { on_exec_exit_ = std::move(fn); }
  // The shim connection when the session ended on the client's side (detach keys, client gone)
  // with the shim still talking: an exec's end is still to be heard on it.
  UniqueFd take_shim() { return std::move(shim_); }

 private:
  static constexpr size_t kToShimHigh = 256 * 1024;

  // Client bytes; false when the session ends (detached).
  bool client_input(std::string_view data);
  // The client closed its sending side; false when that ends the session.
  bool client_eof();
  // Sends what it can of the queued stdin frames without blocking; a shim that is gone is
  // noticed when its side reads EOF.
  void flush_to_shim();
  // The session ends on the client's side: the stdin it sent still reaches the container
  // (bounded wait), then both connections close.
  void finish_after_stdin();
  void finish();

  int client_;
  StreamFormat f_;
  bool want_stdin_, stdin_once_;
  engine::DetachMatcher detach_;
  UniqueFd shim_;
  std::string early_, to_shim_;
  std::function<void(const std::string&)> on_exec_exit_;
  bool client_open_ = true;
};

}  // namespace berth::api
