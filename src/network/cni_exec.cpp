#include "network/cni_exec.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "common/fd.hpp"
#include "common/fs.hpp"
#include "common/log.hpp"
#include "network/cni_result.hpp"

extern char** environ;

namespace berth::network {

namespace {

using Clock = std::chrono::steady_clock;

// A plugin's answer is a few KB; more than this is a broken plugin, not a result.
constexpr size_t kMaxOutput = 4 << 20;

bool id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

std::string join_dirs(const std::vector<std::string>& dirs) {
  std::string s;
  for (const auto& d : dirs) s += (s.empty() ? "" : ":") + d;
  return s;
}

std::string plugin_failure(const std::string& type, const std::string& command, const std::string& out,
                           const std::string& err, const std::string& status) {
  std::string head = "cni plugin " + type + ": " + command + " failed";
  if (auto e = parse_cni_error(out)) {
    std::string m = head + ": " + e->msg;
    if (!e->details.empty()) m += ": " + e->details;
    return m + " (code " + std::to_string(e->code) + ")";
  }
  std::string text = trim(err.empty() ? out : err);
  if (text.size() > 1024) text = text.substr(0, 1024) + "...";
  return head + " (" + status + ")" + (text.empty() ? "" : ": " + text);
}

}  // namespace

Result<std::string> find_cni_plugin(const std::string& type, const std::vector<std::string>& dirs) {
  if (type.empty() || type == "." || type == ".." || type.find('/') != std::string::npos)
    return fail(ErrorKind::Invalid, "cni plugin type \"" + type + "\" must be a plain file name");
  for (const auto& d : dirs) {
    std::string p = path_join(d, type);
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0) return p;
  }
  return fail(ErrorKind::NotFound, "cni plugin " + type + " not found in " + (dirs.empty() ? "(no plugin dirs)" : join_dirs(dirs)));
}

Result<> validate_cni_call(const CniCall& call) {
  if (call.container_id.empty() || !std::isalnum(static_cast<unsigned char>(call.container_id[0])) ||
      !std::all_of(call.container_id.begin(), call.container_id.end(), id_char))
    return fail(ErrorKind::Invalid, "cni container id \"" + call.container_id +
                                        "\": must start with a letter or digit, followed by letters, digits, '_', '.' or '-'");
  const auto& n = call.ifname;
  if (n.empty() || n.size() > 15 || n == "." || n == ".." ||
      std::any_of(n.begin(), n.end(), [](char c) { return c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c)) || c == '\0'; }))
    return fail(ErrorKind::Invalid, "cni interface name \"" + n + "\": must be 1 to 15 characters without '/', ':' or spaces");
  for (const auto& [k, v] : call.args) {
    auto bad = [](const std::string& s) { return s.find_first_of(";=\n") != std::string::npos || s.find('\0') != std::string::npos; };
    if (k.empty() || bad(k) || bad(v))
      return fail(ErrorKind::Invalid, "cni argument \"" + k + "=" + v + "\": keys and values must not contain ';', '=' or newlines");
  }
  if (call.netns.find('\0') != std::string::npos) return fail(ErrorKind::Invalid, "cni netns path contains a NUL byte");
  // DEL may come after the namespace is gone; ADD and CHECK need one to configure.
  if (call.netns.empty() && (call.command == "ADD" || call.command == "CHECK"))
    return fail(ErrorKind::Invalid, "cni " + call.command + " needs the sandbox's network namespace path");
  return {};
}

std::vector<std::string> cni_environment(const CniCall& call) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e)
    if (std::strncmp(*e, "CNI_", 4) != 0) env.emplace_back(*e);
  std::string args;
  for (const auto& [k, v] : call.args) args += (args.empty() ? "" : ";") + k + "=" + v;
  env.push_back("CNI_COMMAND=" + call.command);
  env.push_back("CNI_CONTAINERID=" + call.container_id);
  env.push_back("CNI_NETNS=" + call.netns);
  env.push_back("CNI_IFNAME=" + call.ifname);
  env.push_back("CNI_ARGS=" + args);
  env.push_back("CNI_PATH=" + join_dirs(call.plugin_dirs));
  return env;
}

Result<std::string> exec_cni_plugin(const std::string& path, const std::string& type, const CniCall& call,
                                    const std::string& stdin_json, std::chrono::milliseconds timeout) {
  // stdin is a socket so that a plugin exiting unread gives EPIPE on send(MSG_NOSIGNAL), not SIGPIPE.
  int sp[2], op[2], ep[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) return fail_sys("cni plugin " + type + ": socketpair");
  UniqueFd in_w(sp[0]), in_r(sp[1]);
  if (pipe2(op, O_CLOEXEC) != 0) return fail_sys("cni plugin " + type + ": pipe");
  UniqueFd out_r(op[0]), out_w(op[1]);
  if (pipe2(ep, O_CLOEXEC) != 0) return fail_sys("cni plugin " + type + ": pipe");
  UniqueFd err_r(ep[0]), err_w(ep[1]);

  std::vector<std::string> env = cni_environment(call);
  std::vector<char*> cenv;
  for (auto& e : env) cenv.push_back(e.data());
  cenv.push_back(nullptr);
  std::string arg0 = path;
  char* argv[] = {arg0.data(), nullptr};

  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_adddup2(&fa, in_r.get(), 0);
  posix_spawn_file_actions_adddup2(&fa, out_w.get(), 1);
  posix_spawn_file_actions_adddup2(&fa, err_w.get(), 2);
  // Its own process group: a timeout kills the plugin and the IPAM plugin it runs.
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int s : {SIGPIPE, SIGCHLD, SIGINT, SIGTERM, SIGHUP}) sigaddset(&defaults, s);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, path.c_str(), &fa, &attr, argv, cenv.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return fail(sys_error("cni plugin " + type + ": spawn " + path, rc));
  in_r.reset();
  out_w.reset();
  err_w.reset();

  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd) {
    int e = errno;
    kill(-pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return fail(sys_error("cni plugin " + type + ": pidfd_open", e));
  }
  fcntl(in_w.get(), F_SETFL, O_NONBLOCK);
  fcntl(out_r.get(), F_SETFL, O_NONBLOCK);
  fcntl(err_r.get(), F_SETFL, O_NONBLOCK);

  std::string out, err;
  size_t written = 0;
  bool exited = false, too_big = false;
  auto deadline = Clock::now() + timeout;
  auto drain = [&](UniqueFd& fd, std::string& into) {
    char buf[8192];
    for (;;) {
      ssize_t k = read(fd.get(), buf, sizeof buf);
      if (k > 0) {
        if (into.size() + static_cast<size_t>(k) > kMaxOutput) {
          too_big = true;
          return;
        }
        into.append(buf, static_cast<size_t>(k));
        continue;
      }
      if (k < 0 && errno == EINTR) continue;
      if (k == 0 || errno != EAGAIN) fd.reset();
      return;
    }
  };
  while (!exited && !too_big) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) break;
    pollfd fds[4] = {{pidfd.get(), POLLIN, 0},
                     {out_r ? out_r.get() : -1, POLLIN, 0},
                     {err_r ? err_r.get() : -1, POLLIN, 0},
                     {in_w ? in_w.get() : -1, POLLOUT, 0}};
    int n = poll(fds, 4, static_cast<int>(std::min<long long>(left, 1 << 30)));
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      kill(-pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      return fail(sys_error("cni plugin " + type + ": poll", e));
    }
    if (fds[1].revents) drain(out_r, out);
    if (fds[2].revents) drain(err_r, err);
    if (fds[3].revents) {
      ssize_t k = send(in_w.get(), stdin_json.data() + written, stdin_json.size() - written, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (k > 0) written += static_cast<size_t>(k);
      // Done, or the plugin closed its stdin (its exit status tells the rest).
      if (written == stdin_json.size() || (k < 0 && errno != EAGAIN && errno != EINTR)) in_w.reset();
    }
    if (fds[0].revents & POLLIN) exited = true;
  }
  if (!exited) {
    kill(-pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    if (too_big) return fail(ErrorKind::Internal, "cni plugin " + type + ": " + call.command + ": output larger than " + std::to_string(kMaxOutput) + " bytes");
    return fail(ErrorKind::Unavailable, "cni plugin " + type + ": " + call.command + " timed out after " +
                                            std::to_string(timeout.count()) + " ms");
  }
  // Everything it wrote is in the pipes now; a child it left behind may hold them open, so
  // take what is there without waiting for end-of-file.
  if (out_r) drain(out_r, out);
  if (err_r) drain(err_r, err);
  int st = 0;
  if (waitpid(pid, &st, 0) < 0) return fail_sys("cni plugin " + type + ": wait");
  if (too_big) return fail(ErrorKind::Internal, "cni plugin " + type + ": " + call.command + ": output larger than " + std::to_string(kMaxOutput) + " bytes");
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
    if (!err.empty()) log::debug("cni plugin " + type + ": " + call.command + ": " + trim(err));
    return out;
  }
  std::string status = WIFEXITED(st) ? "exit status " + std::to_string(WEXITSTATUS(st))
                                     : "killed by signal " + std::to_string(WTERMSIG(st));
  return fail(ErrorKind::Internal, plugin_failure(type, call.command, out, err, status));
}

}  // namespace berth::network
