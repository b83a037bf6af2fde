#include "api/server.hpp"

#include <arpa/inet.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "api/connection.hpp"
#include "api/response.hpp"
#include "common/fs.hpp"
#include "common/log.hpp"

namespace berth::api {

Result<HostAddress> parse_host(std::string_view spec) {
  HostAddress a{};
  std::string s(spec);
  if (s.starts_with("unix://")) {
    a.kind = HostAddress::Kind::Unix;
    a.path = s.substr(7);
  } else if (s.starts_with("/")) {
    a.kind = HostAddress::Kind::Unix;
    a.path = s;
  } else if (s.starts_with("tcp://")) {
    a.kind = HostAddress::Kind::Tcp;
    std::string hp = s.substr(6);
    if (auto slash = hp.find('/'); slash != std::string::npos) hp.resize(slash);
    auto colon = hp.rfind(':');
    if (colon == std::string::npos) return fail(ErrorKind::Invalid, "invalid host " + s + ": a port is required");
    a.host = hp.substr(0, colon);
    if (a.host.size() > 1 && a.host.front() == '[' && a.host.back() == ']') a.host = a.host.substr(1, a.host.size() - 2);
    if (a.host.empty()) a.host = "127.0.0.1";
    auto ps = hp.substr(colon + 1);
    auto [p, ec] = std::from_chars(ps.data(), ps.data() + ps.size(), a.port);
    if (ec != std::errc() || p != ps.data() + ps.size() || a.port < 0 || a.port > 65535)
      return fail(ErrorKind::Invalid, "invalid host " + s + ": bad port \"" + ps + "\"");
  } else {
    return fail(ErrorKind::Invalid, "invalid host " + s + ": use unix:///path or tcp://ADDR:PORT");
  }
  if (a.kind == HostAddress::Kind::Unix && a.path.empty()) return fail(ErrorKind::Invalid, "invalid host " + s + ": empty path");
  return a;
}

namespace {

struct Listener {
  UniqueFd fd;
  std::string address;  // as bound
  std::string unix_path;
  bool tls = false;
};

Result<Listener> listen_unix(const std::string& path, const std::string& group) {
  if (path.size() >= sizeof(sockaddr_un::sun_path)) return fail(ErrorKind::Invalid, "socket path too long: " + path);
  auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) BERTH_CHECK(mkdir_p(path.substr(0, slash), 0711), "listen on " + path);
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail_sys("socket");
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  struct stat st{};
  if (lstat(path.c_str(), &st) == 0) {
    // A live daemon keeps its socket; a stale file from a crash is replaced.
    UniqueFd probe(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (S_ISSOCK(st.st_mode) && connect(probe.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0)
      return fail(ErrorKind::Exists, "listen on " + path + ": another daemon is serving this socket");
    if (!S_ISSOCK(st.st_mode)) return fail(ErrorKind::Exists, "listen on " + path + ": exists and is not a socket");
    unlink(path.c_str());
  }
  // Created 0600 and only then opened to the group: no window where others can connect.
  mode_t old = umask(0177);
  int r = bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  umask(old);
  if (r != 0) return fail_sys("bind " + path);
  gid_t gid = 0;
  if (!group.empty())
    if (struct group* g = getgrnam(group.c_str())) gid = g->gr_gid;
  if (chown(path.c_str(), 0, gid) != 0 || chmod(path.c_str(), 0660) != 0) {
    auto e = sys_error("set owner of " + path);
    unlink(path.c_str());
    return fail(e);
  }
  if (listen(fd.get(), 128) != 0) {
    auto e = sys_error("listen on " + path);
    unlink(path.c_str());
    return fail(e);
  }
  return Listener{std::move(fd), "unix://" + path, path, false};
}

bool is_loopback(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) {
    auto& a = reinterpret_cast<const sockaddr_in&>(ss);
    return (ntohl(a.sin_addr.s_addr) >> 24) == 127;
  }
  auto& a6 = reinterpret_cast<const sockaddr_in6&>(ss);
  return IN6_IS_ADDR_LOOPBACK(&a6.sin6_addr);
}

Result<Listener> listen_tcp(const HostAddress& h, const TlsOptions& tls) {
  std::string spec = "tcp://" + h.host + ":" + std::to_string(h.port);
  sockaddr_storage ss{};
  socklen_t len = 0;
  std::string host = h.host == "localhost" ? "127.0.0.1" : h.host;
  auto* a4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* a6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, host.c_str(), &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons(static_cast<uint16_t>(h.port));
    len = sizeof *a4;
  } else if (inet_pton(AF_INET6, host.c_str(), &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(static_cast<uint16_t>(h.port));
    len = sizeof *a6;
  } else {
    return fail(ErrorKind::Invalid, "listen on " + spec + ": an IP address is required (no name lookup)");
  }
  if (!tls.enabled && !is_loopback(ss))
    return fail(ErrorKind::Invalid, "listen on " + spec +
                                        ": plain TCP is only served on loopback addresses; use --tlsverify");
  UniqueFd fd(socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail_sys("socket");
  int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) return fail_sys("bind " + spec);
  if (listen(fd.get(), 128) != 0) return fail_sys("listen on " + spec);
  getsockname(fd.get(), reinterpret_cast<sockaddr*>(&ss), &len);
  int port = ntohs(ss.ss_family == AF_INET ? a4->sin_port : a6->sin6_port);
  return Listener{std::move(fd), "tcp://" + h.host + ":" + std::to_string(port), "", tls.enabled};
}

}  // namespace

// What connection threads share with the server; kept alive by the threads that use it.
struct Shared {
  Router router;
  ServerOptions opts;
  std::mutex mu;
  std::condition_variable idle;
  std::set<int> live;  // fds of connections being served
  bool stopping = false;
  std::shared_ptr<TlsContext> tls;  // for the TCP listeners when TLS is on
};

struct Server::Impl {
  std::shared_ptr<Shared> shared;
  std::vector<Listener> listeners;
  UniqueFd stop_fd;
  std::thread acceptor;

  void accept_loop();
  void accept_one(int lfd, bool tls);
};

void Server::Impl::accept_one(int lfd, bool tls) {
  int fd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return;
  auto sh = shared;
  {
    std::lock_guard lk(sh->mu);
    if (sh->stopping || sh->live.size() >= sh->opts.max_connections) {
      std::string body = error_body("too many connections");
      std::string r = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
                      "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
      (void)!send(fd, r.data(), r.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      close(fd);
      return;
    }
    sh->live.insert(fd);
  }
  std::thread([sh, fd, tls] {
    serve_connection(fd, sh->router, sh->opts, tls ? sh->tls.get() : nullptr);
    std::lock_guard lk(sh->mu);
    sh->live.erase(fd);
    close(fd);
    sh->idle.notify_all();
  }).detach();
}

void Server::Impl::accept_loop() {
  std::vector<pollfd> fds;
  for (auto& l : listeners) fds.push_back({l.fd.get(), POLLIN, 0});
  fds.push_back({stop_fd.get(), POLLIN, 0});
  while (true) {
    if (poll(fds.data(), fds.size(), -1) < 0) continue;
    if (fds.back().revents) return;
    for (size_t i = 0; i + 1 < fds.size(); ++i)
      if (fds[i].revents & POLLIN) accept_one(fds[i].fd, listeners[i].tls);
  }
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { stop(); }

Result<std::unique_ptr<Server>> Server::listen(Router router, ServerOptions opts) {
  auto impl = std::make_unique<Impl>();
  if (opts.hosts.empty()) return fail(ErrorKind::Invalid, "no host to listen on");
  std::shared_ptr<TlsContext> tls;
  if (opts.tls.enabled) tls = BERTH_TRY(make_tls_context(opts.tls), "");
  for (const auto& h : opts.hosts) {
    auto addr = parse_host(h);
    Result<Listener> l = addr ? (addr->kind == HostAddress::Kind::Unix ? listen_unix(addr->path, opts.socket_group)
                                                                        : listen_tcp(*addr, opts.tls))
                              : Result<Listener>(std::unexpected(addr.error()));
    if (!l) {
      for (auto& done : impl->listeners)
        if (!done.unix_path.empty()) unlink(done.unix_path.c_str());
      return fail(l.error());
    }
    impl->listeners.push_back(std::move(*l));
  }
  impl->stop_fd = UniqueFd(eventfd(0, EFD_CLOEXEC));
  impl->shared = std::make_shared<Shared>();
  impl->shared->router = std::move(router);
  impl->shared->opts = std::move(opts);
  impl->shared->tls = std::move(tls);
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

void Server::start() {
  if (impl_->acceptor.joinable()) return;
  impl_->acceptor = std::thread([this] { impl_->accept_loop(); });
}

bool Server::stop() {
  if (!impl_ || !impl_->shared) return true;
  uint64_t one = 1;
  (void)!::write(impl_->stop_fd.get(), &one, sizeof one);
  if (impl_->acceptor.joinable()) impl_->acceptor.join();
  for (auto& l : impl_->listeners) {
    if (!l.unix_path.empty()) unlink(l.unix_path.c_str());
    l.fd.reset();
  }
  impl_->listeners.clear();
  auto sh = impl_->shared;
  std::unique_lock lk(sh->mu);
  sh->stopping = true;
  for (int fd : sh->live) shutdown(fd, SHUT_RDWR);
  // Handlers blocked outside the socket (a pull mid-download) notice at their next write.
  bool idle = sh->idle.wait_for(lk, std::chrono::seconds(10), [&] { return sh->live.empty(); });
  if (!idle) log::warn("stop: " + std::to_string(sh->live.size()) + " connections still busy");
  lk.unlock();
  impl_->shared.reset();
  return idle;
}

std::vector<std::string> Server::addresses() const {
  std::vector<std::string> out;
  for (auto& l : impl_->listeners) out.push_back(l.address);
  return out;
}

}  // namespace berth::api
