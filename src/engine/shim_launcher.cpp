#include "engine/shim_launcher.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sstream>

#include "common/fd.hpp"
#include "common/process.hpp"

extern char** environ;

namespace berth::engine {

std::string default_shim_path() { return sibling_executable("berth-shim"); }

Result<ShimStarted> launch_shim(const std::string& shim_path, const std::vector<std::string>& args) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return fail_sys("pipe");
  UniqueFd rd(p[0]), wr(p[1]);
  std::vector<std::string> argv = {shim_path};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--ready-fd", "3"});
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_RDWR, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_RDWR, 0);
  posix_spawn_file_actions_adddup2(&fa, wr.get(), 3);  // dup2 clears close-on-exec on fd 3
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, shim_path.c_str(), &fa, &attr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  wr.reset();
  if (rc != 0) return fail(sys_error("spawn " + shim_path, rc));
  // The spawned process forks the shim and exits at once.
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  std::string report;
  char buf[4096];
  ssize_t n;
  while ((n = read(rd.get(), buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_sys("read shim report");
    report.append(buf, static_cast<size_t>(n));
  }
  if (report.rfind("ok ", 0) == 0) {
    std::istringstream ss(report.substr(3));
    ShimStarted s;
    ss >> s.container_pid >> s.shim_pid;
    if (s.container_pid > 0 && s.shim_pid > 0) return s;
  }
  if (report.rfind("error ", 0) == 0) {
    auto msg = report.substr(6);
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    return fail(ErrorKind::Internal, msg);
  }
  if (WIFEXITED(st) && WEXITSTATUS(st) != 0) return fail(ErrorKind::Internal, "berth-shim failed to start (exit status " + std::to_string(WEXITSTATUS(st)) + ")");
  return fail(ErrorKind::Internal, "berth-shim exited without reporting");
}

}  // namespace berth::engine
