// A client under test in a pseudo-terminal of the test's own (forkpty): typed into and read like
// a person would (attach and exec suites).
#pragma once
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

namespace berth::engine::test {

using namespace std::chrono_literals;

// A command in a pseudo-terminal of rows x cols: type into it, read what it shows.
class PtyProcess {
 public:
  PtyProcess(const std::vector<std::string>& argv, unsigned short rows = 24, unsigned short cols = 80) {
    winsize ws{};
    ws.ws_row = rows;
    ws.ws_col = cols;
    pid_ = forkpty(&master_, nullptr, nullptr, &ws);
    if (pid_ == 0) {
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
  }
  ~PtyProcess() {
    if (pid_ > 0 && status_ < 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) close(master_);
  }
  // Reads until needle has appeared after from (an offset into output()) or timeout.
  bool expect(const std::string& needle, std::chrono::milliseconds timeout = 20s, size_t from = 0) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out_.find(needle, from) == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !read_some(static_cast<int>(left.count()))) return false;
    }
    return true;
  }
  void type(const std::string& s) { (void)!write(master_, s.data(), s.size()); }
  // The kernel sends SIGWINCH to the terminal's foreground process group (the client).
  void resize(unsigned short rows, unsigned short cols) {
    winsize ws{};
    ws.ws_row = rows;
    ws.ws_col = cols;
    ioctl(master_, TIOCSWINSZ, &ws);
  }
  // Waits for the exit (reading on so that the client never blocks on output); -1 on timeout.
  int wait(std::chrono::milliseconds timeout = 30s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (status_ < 0) {
      int st = 0;
      if (waitpid(pid_, &st, WNOHANG) == pid_) {
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) return -1;
      read_some(50);
    }
    while (read_some(0)) {
    }
    return status_;
  }
  const std::string& output() const { return out_; }

 private:
  bool read_some(int timeout_ms) {
    pollfd p{master_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0)
      return status_ < 0 && timeout_ms > 0 ? waitpid(pid_, nullptr, WNOHANG) == 0 : false;
    char buf[4096];
    ssize_t n = read(master_, buf, sizeof buf);
    if (n <= 0) return false;  // EIO: the client and all its children are gone
    out_.append(buf, static_cast<size_t>(n));
    return true;
  }
  pid_t pid_ = -1;
  int master_ = -1;
  int status_ = -1;
  std::string out_;
};

}  // namespace berth::engine::test
