// ExecService::run_sync: an exec whose caller waits for its end and takes its output whole
// (the CRI's ExecSync), beside the attached execs the Engine API relays.
#include <poll.h>
#include <unistd.h>

#include "engine/attach_protocol.hpp"
#include "engine/exec_request.hpp"
#include "engine/exec_service.hpp"

namespace berth::engine {

Result<SyncExecResult> ExecService::run_sync(std::string_view container_ref, const std::vector<std::string>& cmd,
                                             std::chrono::milliseconds timeout, size_t max_output) {
  if (cmd.empty()) return fail(ErrorKind::Invalid, "no command specified");
  auto c = BERTH_TRY(containers_.find(container_ref), "");
  if (c.state == "paused") return fail(ErrorKind::Conflict, "container " + c.id + " is paused");
  if (c.state != "running") return fail(ErrorKind::Conflict, "container " + c.id + " is not running");
  ExecConfig cfg;
  cfg.cmd = cmd;
  auto process = BERTH_TRY(process_for(c, cfg), "");
  auto [conn, pid] = BERTH_TRY(run_in_shim(c.id, process, false, timeout.count()), "");
  (void)pid;
  SyncExecResult out;
  FrameDecoder dec;
  char buf[16384];
  // The shim ends the exec at its timeout and closes the connection when the container goes:
  // this loop ends with one or the other.
  while (true) {
    pollfd p{conn.get(), POLLIN, 0};
    int r = poll(&p, 1, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return fail_sys("exec in container " + c.id);
    ssize_t n = read(conn.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // No ExecExit: the shim went with its container, which took the exec along.
      out.exit_code = 137;
      return out;
    }
    dec.feed(std::string_view(buf, static_cast<size_t>(n)));
    while (true) {
      auto f = dec.next();
      if (!f) return fail(ErrorKind::Internal, "exec in container " + c.id + ": " + f.error().what());
      if (!*f) break;
      auto& frame = **f;
      auto keep = [&](std::string& dst) {
        if (dst.size() < max_output) dst += frame.payload.substr(0, max_output - dst.size());
      };
      if (frame.type == FrameType::Stdout) keep(out.out);
      else if (frame.type == FrameType::Stderr) keep(out.err);
      else if (frame.type == FrameType::ExecExit) {
        auto ex = BERTH_TRY(decode_exec_exit(frame.payload), "exec in container " + c.id);
        out.exit_code = ex.exit_code;
        out.timed_out = ex.timed_out;
        return out;
      }
    }
  }
}

}  // namespace berth::engine
