#include "support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace fs = std::filesystem;

namespace berth::test {

CmdResult run(const std::vector<std::string>& argv, const std::string& input, std::chrono::seconds timeout) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) throw std::runtime_error("pipe");
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    setpgid(0, 0);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    dprintf(2, "exec %s: %s\n", args[0], strerror(errno));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (!input.empty()) (void)!write(in[1], input.data(), input.size());
  close(in[1]);
  CmdResult r;
  // Wait for the process itself, not for EOF: a container started by `create` inherits the
  // pipes and keeps them open long after the command returned.
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[3] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {pidfd, POLLIN, 0}};
  bool exited = false, timed_out = false;
  auto drain = [&](pollfd& p) {
    char buf[4096];
    for (;;) {
      ssize_t k = read(p.fd, buf, sizeof buf);
      if (k <= 0) {
        if (k == 0) {
          close(p.fd);
          p.fd = -1;
        }
        return;
      }
      (p.fd == out[0] ? r.out : r.err).append(buf, static_cast<size_t>(k));
      if (!exited) return;
    }
  };
  while (!exited) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    int n = poll(fds, 3, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    for (int i = 0; i < 2; ++i)
      if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR))) drain(fds[i]);
    if (fds[2].revents & POLLIN) exited = true;
  }
  if (timed_out) {
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    r.err += "\n[test harness: command timed out after " + std::to_string(timeout.count()) + "s]";
  }
  // Whatever the process wrote before exiting is in the pipes now.
  for (int i = 0; i < 2; ++i)
    if (fds[i].fd >= 0) {
      fcntl(fds[i].fd, F_SETFL, O_NONBLOCK);
      drain(fds[i]);
      if (fds[i].fd >= 0) close(fds[i].fd);
    }
  close(pidfd);
  int st = 0;
  waitpid(pid, &st, 0);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

CmdResult sh(const std::string& script, std::chrono::seconds timeout) {
  return run({"/bin/sh", "-c", script}, "", timeout);
}

std::string bin(const std::string& name) { return std::string(BERTH_BIN_DIR) + "/" + name; }

bool have_program(const std::string& name) {
  return sh("command -v " + name + " >/dev/null 2>&1").status == 0;
}

TempDir::TempDir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
  path_ = tmpl;
}

TempDir::~TempDir() {
  // Unmount anything a failed test left below us, deepest first, then remove.
  std::ifstream mi("/proc/self/mountinfo");
  std::vector<std::string> targets;
  std::string line;
  while (std::getline(mi, line)) {
    std::istringstream ss(line);
    std::string f[5];
    for (auto& x : f) ss >> x;
    if (f[4].rfind(path_ + "/", 0) == 0 || f[4] == path_) targets.push_back(f[4]);
  }
  for (auto it = targets.rbegin(); it != targets.rend(); ++it) umount2(it->c_str(), MNT_DETACH);
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void make_busybox_rootfs(const std::string& rootfs) {
  const char* busybox = "/bin/busybox";
  if (access(busybox, X_OK) != 0) throw std::runtime_error("busybox-static is not installed (/bin/busybox)");
  for (const char* d : {"bin", "sbin", "etc", "proc", "sys", "dev", "tmp", "root", "usr/bin", "usr/sbin", "var"})
    fs::create_directories(rootfs + "/" + d);
  fs::copy_file(busybox, rootfs + "/bin/busybox", fs::copy_options::overwrite_existing);
  chmod((rootfs + "/bin/busybox").c_str(), 0755);
  auto list = run({busybox, "--list"});
  std::istringstream ss(list.out);
  std::string applet;
  while (std::getline(ss, applet)) {
    if (applet.empty() || applet == "busybox") continue;
    std::string link = rootfs + "/bin/" + applet;
    if (!fs::exists(fs::symlink_status(link))) fs::create_symlink("busybox", link);
  }
  write_text(rootfs + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n");
  write_text(rootfs + "/etc/group", "root:x:0:\nnogroup:x:65534:\n");
  chmod((rootfs + "/tmp").c_str(), 01777);
}

Bundle::Bundle(const std::string& d) : dir(d) {
  fs::create_directories(dir);
  make_busybox_rootfs(dir + "/rootfs");
  auto r = run({bin("berth-runtime"), "spec", "--bundle", dir});
  if (r.status != 0) throw std::runtime_error("berth-runtime spec: " + r.err);
  config = nlohmann::json::parse(read_text(dir + "/config.json"));
  config["process"]["terminal"] = false;
}

void Bundle::write() const { write_text(dir + "/config.json", config.dump(2)); }

bool wait_until(const std::function<bool()>& cond, std::chrono::milliseconds timeout,
                std::chrono::milliseconds step) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(step);
  }
  return cond();
}

std::string unique_id(const std::string& prefix) {
  static std::atomic<int> n{0};
  return prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(n++);
}

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::trunc);
  f << text;
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::vector<std::string> nonempty_lines(const std::string& s) {
  std::vector<std::string> out;
  for (auto& l : lines(s))
    if (!l.empty()) out.push_back(l);
  return out;
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

int thread_count(pid_t pid) {
  int n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) ++n;
  return n;
}

}  // namespace berth::test
