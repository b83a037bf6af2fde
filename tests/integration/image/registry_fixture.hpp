// Test peers for the registry suite: Debian's docker-registry on 127.0.0.1 with a config the
// test writes, and a tiny loopback HTTP server (the bearer token service, or a hostile registry).
#pragma once
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include "support/support.hpp"

namespace berth::image::test {

inline int free_port() {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  close(s);
  return ntohs(a.sin_port);
}

inline bool port_open(int port, const char* ip = "127.0.0.1") {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip, &a.sin_addr);
  bool ok = connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(s);
  return ok;
}

// docker-registry serving <dir>/data on 127.0.0.1:<port>; auth_yaml is the "auth:" section body.
class Registry {
 public:
  // tls_yaml: the "tls:" lines under http (served on ip, e.g. 127.0.0.2, so clients use HTTPS).
  Registry(const std::string& dir, const std::string& auth_yaml = "", const std::string& tls_yaml = "",
           const std::string& ip = "127.0.0.1")
      : dir_(dir), ip_(ip), port_(free_port()) {
    std::filesystem::create_directories(dir + "/data");
    std::string cfg = "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: " + dir +
                      "/data\n  delete:\n    enabled: true\nhttp:\n  addr: " + ip + ":" + std::to_string(port_) + "\n" +
                      tls_yaml;
    if (!auth_yaml.empty()) cfg += "auth:\n" + auth_yaml;
    berth::test::write_text(dir + "/config.yml", cfg);
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);
      int log = open((dir + "/registry.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      dup2(log, 1);
      dup2(log, 2);
      prctl(PR_SET_PDEATHSIG, SIGTERM);  // a crashed test takes its peer with it
      execlp("docker-registry", "docker-registry", "serve", (dir + "/config.yml").c_str(), nullptr);
      _exit(127);
    }
    ready_ = berth::test::wait_until([&] { return port_open(port_, ip_.c_str()); }, std::chrono::seconds(30));
  }
  ~Registry() {
    kill(pid_, SIGTERM);
    if (!berth::test::wait_until([&] { return waitpid(pid_, nullptr, WNOHANG) == pid_; }, std::chrono::seconds(10))) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool ready() const { return ready_; }
  std::string host() const { return ip_ + ":" + std::to_string(port_); }
  std::string data() const { return dir_ + "/data"; }
  std::string log() const { return berth::test::read_text(dir_ + "/registry.log"); }

 private:
  std::string dir_, ip_;
  int port_;
  pid_t pid_ = -1;
  bool ready_ = false;
};

struct HttpReq {
  std::string method, target;
  std::map<std::string, std::string> headers;  // lower-case names
};
struct HttpResp {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;
};

// One request per connection, served on its own thread until destruction.
class TinyHttpServer {
 public:
  explicit TinyHttpServer(std::function<HttpResp(const HttpReq&)> handler) : handler_(std::move(handler)) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(fd_, 16);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    stop_ = eventfd(0, EFD_CLOEXEC);
    thread_ = std::thread([this] { loop(); });
  }
  ~TinyHttpServer() {
    uint64_t one = 1;
    (void)!write(stop_, &one, sizeof one);
    thread_.join();
    close(fd_);
    close(stop_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }

 private:
  void loop() {
    while (true) {
      pollfd p[2] = {{fd_, POLLIN, 0}, {stop_, POLLIN, 0}};
      if (poll(p, 2, -1) < 0) continue;
      if (p[1].revents) return;
      int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      serve(c);
      close(c);
    }
  }
  void serve(int c) {
    std::string in;
    char buf[4096];
    while (in.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = read(c, buf, sizeof buf);
      if (n <= 0) return;
      in.append(buf, static_cast<size_t>(n));
    }
    HttpReq req;
    auto line_end = in.find("\r\n");
    auto first = in.substr(0, line_end);
    auto sp1 = first.find(' '), sp2 = first.rfind(' ');
    req.method = first.substr(0, sp1);
    req.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
    size_t pos = line_end + 2;
    while (true) {
      auto e = in.find("\r\n", pos);
      if (e == pos || e == std::string::npos) break;
      auto l = in.substr(pos, e - pos);
      auto colon = l.find(':');
      if (colon != std::string::npos) {
        std::string k = l.substr(0, colon);
        for (auto& ch : k) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        req.headers[k] = l.substr(l.find_first_not_of(' ', colon + 1));
      }
      pos = e + 2;
    }
    ++requests_;
    HttpResp r = handler_(req);
    std::string out = "HTTP/1.1 " + std::to_string(r.status) + " X\r\nContent-Type: " + r.content_type +
                      "\r\nContent-Length: " + std::to_string(r.body.size()) + "\r\nConnection: close\r\n";
    for (auto& [k, v] : r.headers) out += k + ": " + v + "\r\n";
    out += "\r\n";
    if (req.method != "HEAD") out += r.body;
    size_t off = 0;
    while (off < out.size()) {
      ssize_t n = write(c, out.data() + off, out.size() - off);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }
  std::function<HttpResp(const HttpReq&)> handler_;
  int fd_ = -1, stop_ = -1, port_ = 0;
  std::atomic<int> requests_{0};
  std::thread thread_;
};

inline std::string b64url(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += t[(v >> 6) & 63];
    out += t[v & 63];
  }
  if (i + 1 == in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
  } else if (i + 2 == in.size()) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += t[(v >> 6) & 63];
  }
  return out;
}

inline std::string b64std(const std::string& in) {
  std::string s = b64url(in);
  for (auto& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (s.size() % 4) s += '=';
  return s;
}

}  // namespace berth::image::test
