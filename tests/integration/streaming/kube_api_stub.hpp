// A stand-in for the API server between kubectl and a kubelet, so that the stock kubectl can be
// the streaming server's client: it answers /version and the pod's GET, and forwards each exec
// or portforward request to a fresh streaming URL (as the API server proxies to the kubelet),
// splicing the upgraded connection both ways. Loopback only; every thread joined on destruction.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/fd.hpp"

namespace berth::cri::streaming::test {

class KubeApiStub {
 public:
  // url_for(kind): a fresh streaming URL for "exec" or "portforward".
  explicit KubeApiStub(std::function<std::string(const std::string&)> url_for) : url_for_(std::move(url_for)) {
    lfd_ = UniqueFd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(lfd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(lfd_.get(), reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    listen(lfd_.get(), 16);
    acceptor_ = std::thread([this] {
      while (true) {
        int c = accept4(lfd_.get(), nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) return;
        std::lock_guard lk(mu_);
        fds_.push_back(c);
        threads_.emplace_back([this, c] { serve(c); });
      }
    });
  }
  ~KubeApiStub() {
    shutdown(lfd_.get(), SHUT_RDWR);
    acceptor_.join();
    {
      std::lock_guard lk(mu_);
      for (int fd : fds_) shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : threads_) t.join();
    for (int fd : fds_) close(fd);
  }
  std::string server() const { return "http://127.0.0.1:" + std::to_string(port); }
  std::vector<std::string> upgrades() {  // the Upgrade header of each streaming request, in order
    std::lock_guard lk(mu_);
    return upgrades_;
  }

  uint16_t port = 0;

 private:
  static bool read_head(int fd, std::string& buf, std::string& head) {
    char chunk[4096];
    while (buf.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = read(fd, chunk, sizeof chunk);
      if (n <= 0) return false;
      buf.append(chunk, static_cast<size_t>(n));
    }
    size_t end = buf.find("\r\n\r\n") + 4;
    head = buf.substr(0, end);
    buf.erase(0, end);
    return true;
  }
  static std::string header(const std::string& head, const std::string& name) {
    std::string lower_head = head;
    for (auto& ch : lower_head) ch = static_cast<char>(tolower(ch));
    auto at = lower_head.find("\r\n" + name + ":");
    if (at == std::string::npos) return "";
    auto start = at + 3 + name.size();
    auto end = head.find("\r\n", start);
    std::string v = head.substr(start, end - start);
    while (!v.empty() && v.front() == ' ') v.erase(0, 1);
    return v;
  }
  static void reply_json(int fd, const std::string& body, int status = 200) {
    send_all(fd, "HTTP/1.1 " + std::to_string(status) + (status == 200 ? " OK" : " Not Found") +
                     "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  }

  void serve(int fd) {
    std::string buf, head;
    while (read_head(fd, buf, head)) {
      std::string method = head.substr(0, head.find(' '));
      std::string path = head.substr(method.size() + 1, head.find(' ', method.size() + 1) - method.size() - 1);
      std::string route = path.substr(0, path.find('?'));
      if (route == "/version") {
        reply_json(fd, R"({"major":"1","minor":"32","gitVersion":"v1.32.0","platform":"linux/amd64"})");
      } else if (route == "/api") {  // discovery, which kubectl does before resolving "p"
        reply_json(fd, R"({"kind":"APIVersions","versions":["v1"],)"
                       R"("serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1"}]})");
      } else if (route == "/apis") {
        reply_json(fd, R"({"kind":"APIGroupList","apiVersion":"v1","groups":[]})");
      } else if (route == "/api/v1") {
        reply_json(fd, R"({"kind":"APIResourceList","groupVersion":"v1","resources":[)"
                       R"({"name":"pods","singularName":"pod","namespaced":true,"kind":"Pod","verbs":["get","list"]},)"
                       R"({"name":"pods/exec","singularName":"","namespaced":true,"kind":"PodExecOptions","verbs":["create","get"]},)"
                       R"({"name":"pods/portforward","singularName":"","namespaced":true,"kind":"PodPortForwardOptions","verbs":["create","get"]}]})");
      } else if (route == "/api/v1/namespaces/default/pods/p") {
        reply_json(fd, R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"p","namespace":"default"},)"
                       R"("spec":{"containers":[{"name":"c","image":"busybox"}]},"status":{"phase":"Running"}})");
      } else if (route.ends_with("/exec") || route.ends_with("/portforward")) {
        {
          std::lock_guard lk(mu_);
          upgrades_.push_back(header(head, "upgrade"));
        }
        forward(fd, head, buf, route.ends_with("/exec") ? "exec" : "portforward");
        return;
      } else {
        reply_json(fd, R"({"kind":"Status","apiVersion":"v1","status":"Failure","code":404})", 404);
      }
    }
  }

  void forward(int client, const std::string& head, const std::string& rest, const std::string& kind) {
    std::string url = url_for_(kind);
    auto colon = url.find(':', 7);
    uint16_t p = static_cast<uint16_t>(std::stoi(url.substr(colon + 1)));
    std::string token_path = url.substr(url.find('/', 7));
    UniqueFd up(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(p);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(up.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return;
    std::string method = head.substr(0, head.find(' '));
    std::string rewritten = method + " " + token_path + head.substr(head.find(" HTTP/1.1"));
    send_all(up.get(), rewritten + rest);
    // Splice until both directions ended.
    bool open[2] = {true, true};
    int from[2] = {client, up.get()}, to[2] = {up.get(), client};
    char chunk[32768];
    while (open[0] || open[1]) {
      pollfd fds[2] = {{client, static_cast<short>(open[0] ? POLLIN : 0), 0}, {up.get(), static_cast<short>(open[1] ? POLLIN : 0), 0}};
      if (poll(fds, 2, -1) < 0) return;
      for (int i = 0; i < 2; ++i) {
        if (!open[i] || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        ssize_t n = read(from[i], chunk, sizeof chunk);
        if (n <= 0) {
          open[i] = false;
          shutdown(to[i], SHUT_WR);
        } else if (!send_all(to[i], std::string_view(chunk, static_cast<size_t>(n)))) {
          open[i] = false;
        }
      }
    }
  }

  std::function<std::string(const std::string&)> url_for_;
  UniqueFd lfd_;
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<int> fds_;
  std::vector<std::thread> threads_;
  std::vector<std::string> upgrades_;
};

}  // namespace berth::cri::streaming::test
