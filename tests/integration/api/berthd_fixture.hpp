// A private berthd for the API suite: its own data root, exec root, socket and pid file under
// a temp dir; the stock docker clients pointed at it with -H and their own --config dir.
// Destruction stops it with SIGTERM (SIGKILL after a bounded wait) and removes everything.
#pragma once
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "common/fd.hpp"
#include "support/support.hpp"

namespace berth::api::test {

inline const std::string kDocker28 = "/usr/local/bin/docker";
inline const std::string kDocker20 = "/usr/bin/docker";

class Berthd {
 public:
  // daemon_json: the content of its daemon.json. prefix: a command berthd runs under
  // ({"nsenter", "--net=/run/netns/x"}: in a network namespace of the test's own).
  explicit Berthd(std::vector<std::string> extra = {}, const std::string& daemon_json = "{}",
                  std::vector<std::string> prefix = {})
      : dir_("berthd-api"), prefix_(std::move(prefix)) {
    sock_ = dir_ / "berthd.sock";
    argv_ = {berth::test::bin("berthd"), "--data-root", dir_ / "data", "--exec-root",
             dir_ / "exec", "-H", "unix://" + sock_, "--pidfile", dir_ / "berthd.pid",
             "--config-file", dir_ / "daemon.json"};
    argv_.insert(argv_.end(), extra.begin(), extra.end());
    berth::test::write_text(dir_ / "daemon.json", daemon_json);
    start();
  }
  // Starts the daemon (again, after stop() or kill9(), on the same roots).
  bool start() {
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);
      int log = open((dir_ / "berthd.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      dup2(log, 1);
      dup2(log, 2);
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // a crashed test takes its daemon with it
      std::vector<char*> args;
      for (auto& a : prefix_) args.push_back(a.data());
      for (auto& a : argv_) args.push_back(a.data());
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
    // A daemon that refuses its configuration exits: no need to wait the whole bound for it.
    bool exited = false;
    ready_ = berth::test::wait_until(
                 [&] {
                   int st = 0;
                   if (waitpid(pid_, &st, WNOHANG) == pid_) {
                     exited = true;
                     exit_status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                   }
                   return exited || connectable();
                 },
                 std::chrono::seconds(20)) &&
             !exited;
    if (exited) pid_ = -1;
    return ready_;
  }
  // kill -9 of the daemon, as a crash; reaped.
  void kill9() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    ready_ = false;
  }
  ~Berthd() { stop(); }

  // SIGTERM and a bounded wait; returns the exit status (or -1 if it had to be killed).
  int stop() {
    if (pid_ <= 0) return exit_status_;
    kill(pid_, SIGTERM);
    int st = 0;
    bool gone = berth::test::wait_until([&] { return waitpid(pid_, &st, WNOHANG) == pid_; }, std::chrono::seconds(15));
    if (!gone) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &st, 0);
      exit_status_ = -1;
    } else {
      exit_status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    pid_ = -1;
    return exit_status_;
  }

  bool ready() const { return ready_; }
  pid_t pid() const { return pid_; }
  // Open file descriptors of the daemon (sockets, database, store): what a leak would grow.
  int fd_count() const {
    int n = 0;
    for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid_) + "/fd")) ++n;
    return n;
  }
  bool connectable() const {
    UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, sock_.c_str(), sizeof sa.sun_path - 1);
    return connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  }
  const std::string& socket_path() const { return sock_; }
  std::string host() const { return "unix://" + sock_; }
  std::string path(const std::string& rel) const { return dir_ / rel; }
  std::string log() const { return berth::test::read_text(dir_ / "berthd.log"); }

  berth::test::CmdResult docker(std::vector<std::string> args, const std::string& client = kDocker28,
                                const std::string& input = "") const {
    args.insert(args.begin(), {client, "--config", dir_ / "docker-config", "-H", host()});
    return berth::test::run(args, input, std::chrono::seconds(120));
  }

 private:
  berth::test::TempDir dir_;
  std::vector<std::string> prefix_, argv_;
  std::string sock_;
  pid_t pid_ = -1;
  int exit_status_ = -1;
  bool ready_ = false;
};

// One raw HTTP/1.1 request on the daemon's socket (Connection: close); returns status and body.
struct RawResponse {
  int status = -1;
  std::string head, body;
};

inline RawResponse raw_request(const std::string& sock, const std::string& method, const std::string& target,
                               const std::string& body = "", const std::string& content_type = "application/json") {
  RawResponse r;
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, sock.c_str(), sizeof sa.sun_path - 1);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return r;
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: berthd\r\nConnection: close\r\n";
  if (!body.empty()) req += "Content-Type: " + content_type + "\r\n";
  req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  for (size_t off = 0; off < req.size();) {
    ssize_t n = send(fd.get(), req.data() + off, req.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  std::string all;
  char buf[8192];
  ssize_t n;
  while ((n = read(fd.get(), buf, sizeof buf)) > 0) all.append(buf, static_cast<size_t>(n));
  auto sep = all.find("\r\n\r\n");
  if (all.size() < 12 || sep == std::string::npos) return r;
  r.status = std::stoi(all.substr(9, 3));
  r.head = all.substr(0, sep);
  r.body = all.substr(sep + 4);
  return r;
}

}  // namespace berth::api::test
