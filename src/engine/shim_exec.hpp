// An exec the shim runs for berthd (the Exec frame, attach_protocol.hpp): the process is the
// shim's child (so it survives berthd, and its exit status is ours to collect), its stdio pipes
// or pty master, and the connection that asked for it, which gets the output, feeds stdin and
// resizes, and hears ExecExit at the end. The shim's poll loop drives it: add_polls() appends a
// fixed number of entries, on_polls() handles them.
#pragma once
#include <poll.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/fd.hpp"
#include "engine/attach_protocol.hpp"
#include "engine/exec_request.hpp"
#include "engine/runtime_driver.hpp"

namespace berth::engine {

class ShimExec {
 public:
  // Starts the process; the error is for the caller to refuse the frame with.
  static Result<std::unique_ptr<ShimExec>> start(RuntimeDriver& driver, const std::string& id,
                                                 const std::string& work_dir, const ExecRequest& req);
  // Takes over the connection that asked (with frames it already sent) and reports the start.
  void connect(UniqueFd conn, FrameDecoder decoder);
  ~ShimExec();

  static constexpr size_t kPolls = 5;
  void add_polls(std::vector<pollfd>& fds) const;
  void on_polls(const pollfd* fds, long long now);
  // When on_timer() has work (the timeout, the bounded drain): 0 for none.
  long long deadline() const;
  void on_timer(long long now);
  // The exit was reported (or nobody is left to hear it) and the process is reaped.
  bool done() const { return status_ >= 0 && !conn_ && !out_ && !err_; }
  pid_t pid() const { return pid_; }
  void resize(uint32_t rows, uint32_t cols);

 private:
  ShimExec() = default;
  void reap();
  void read_output(bool is_err);
  void flush_stdin();
  void close_stdin();
  void read_conn();
  void handle_buffered();
  void handle(const Frame& f);
  void send_conn();
  void drop_conn();
  void maybe_finish(long long now);
  bool holding_output() const;

  pid_t pid_ = 0;
  UniqueFd pidfd_, out_, err_, in_w_;
  bool tty_ = false;
  int stdin_fd_ = -1;  // in_w_ or the pty master; -1: closed
  std::string stdin_buf_;
  bool close_stdin_ = false;
  UniqueFd conn_;
  FrameDecoder dec_;
  std::string conn_out_;
  bool exit_sent_ = false;
  int status_ = -1;
  bool timed_out_ = false;
  long long kill_at_ = 0, exited_at_ = 0, close_by_ = 0;
};

}  // namespace berth::engine
