#include "engine/shim_stdio.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

namespace berth::engine {

Result<Stdio> make_stdio(bool open_stdin) {
  Stdio s;
  int p[2];
  auto mk = [&](UniqueFd& r, UniqueFd& w) -> Result<> {
    if (pipe2(p, O_CLOEXEC) != 0) return fail_sys("pipe");
    r = UniqueFd(p[0]);
    w = UniqueFd(p[1]);
    return {};
  };
  if (open_stdin) {
    BERTH_CHECK(mk(s.in_r, s.in_w), "stdin");
  } else {
    s.in_r = UniqueFd(open("/dev/null", O_RDONLY | O_CLOEXEC));
  }
  BERTH_CHECK(mk(s.out_r, s.out_w), "stdout");
  BERTH_CHECK(mk(s.err_r, s.err_w), "stderr");
  return s;
}

Result<> install_stdio(const Stdio& s) {
  if (dup2(s.in_r.get(), 0) < 0 || dup2(s.out_w.get(), 1) < 0 || dup2(s.err_w.get(), 2) < 0)
    return fail_sys("dup2 stdio");
  return {};
}

void reset_stdio(Stdio& s) {
  if (int null = open("/dev/null", O_RDWR | O_CLOEXEC); null >= 0) {
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    close(null);
  }
  s.in_r.reset();
  s.out_w.reset();
  s.err_w.reset();
}

void set_nonblock(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

long long now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

int exit_status(int st) { return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 255; }

}  // namespace berth::engine
