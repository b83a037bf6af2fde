// berth-pause: the process that holds a pod sandbox's namespaces. As pid 1 of the pod's pid
// namespace it reaps the orphans that are reparented to it, ends with status 0 on SIGINT or
// SIGTERM, and otherwise sleeps. Only libc: it stays resident once per pod, so it is small and
// static (no loader, no libstdc++).
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

void say(int fd, const char* s) { (void)!write(fd, s, strlen(s)); }

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0)) {
    say(1, "berth-pause version " BERTH_VERSION "\n");
    return 0;
  }
  if (argc > 1) {
    say(2, "usage: berth-pause [-v]\n");
    return 2;
  }
  if (getpid() != 1) say(2, "berth-pause: warning: not pid 1, orphans are not reparented here\n");

  // The signals are blocked and taken with sigwaitinfo rather than by handlers: a blocked
  // signal is queued even for a namespace's pid 1, which the kernel would otherwise let drop
  // when it has the default action.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if (sigprocmask(SIG_BLOCK, &set, nullptr) != 0) {
    say(2, "berth-pause: sigprocmask failed\n");
    return 1;
  }
  for (;;) {
    int sig = sigwaitinfo(&set, nullptr);
    if (sig < 0) {
      if (errno == EINTR) continue;
      say(2, "berth-pause: sigwaitinfo failed\n");
      return 1;
    }
    if (sig == SIGINT || sig == SIGTERM) return 0;
    // One SIGCHLD may stand for several exits: reap all that are ready.
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  }
}
