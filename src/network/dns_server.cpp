#include "network/dns_server.hpp"

#include <netinet/in.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "common/fd.hpp"
#include "common/log.hpp"
#include "network/netns.hpp"

namespace berth::network {

namespace {

using Clock = std::chrono::steady_clock;

constexpr uint64_t kWakeToken = 0;
constexpr size_t kMaxTcpMessage = 65535;

sockaddr_in sockaddr_of(Ipv4 a, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(a.value);
  return sa;
}

std::vector<uint8_t> with_length(std::span<const uint8_t> msg) {
  std::vector<uint8_t> out(2 + msg.size());
  out[0] = uint8_t(msg.size() >> 8);
  out[1] = uint8_t(msg.size());
  std::ranges::copy(msg, out.begin() + 2);
  return out;
}

struct Sockets {
  UniqueFd udp, tcp;
};

// The listening sockets, made by a thread that joins the namespace and ends: berthd's other
// threads never leave their own.
Result<Sockets> open_in_netns(const std::string& netns_path, Ipv4 addr, uint16_t port) {
  auto ns = BERTH_TRY(open_netns(netns_path), "");
  Result<Sockets> out;
  std::thread t([&] {
    if (setns(ns.get(), CLONE_NEWNET) != 0) {
      out = fail_sys("join " + netns_path);
      return;
    }
    auto sa = sockaddr_of(addr, port);
    std::string where = addr.str() + ":" + std::to_string(port) + " in " + netns_path;
    Sockets s;
    s.udp = UniqueFd(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    s.tcp = UniqueFd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    int one = 1;
    if (!s.udp || !s.tcp || setsockopt(s.tcp.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
      out = fail_sys("DNS sockets " + where);
      return;
    }
    if (bind(s.udp.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
        bind(s.tcp.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || listen(s.tcp.get(), 64) != 0) {
      out = fail_sys("bind DNS " + where);
      return;
    }
    out = std::move(s);
  });
  t.join();
  return out;
}

}  // namespace

std::vector<DnsUpstream> resolv_conf_upstreams(const std::string& text) {
  std::vector<DnsUpstream> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string key, value;
    if (words >> key >> value && key == "nameserver")
      if (auto ip = Ipv4::parse(value)) out.push_back({*ip, 53});
  }
  return out;
}

struct DnsServer::State {
  struct Client {
    UniqueFd udp, tcp;
    uint64_t udp_token = 0, tcp_token = 0;
    std::vector<DnsUpstream> upstreams;
    size_t in_flight = 0, conns = 0;
  };
  // A TCP connection from a container: one query at a time, length-prefixed.
  struct Conn {
    std::string client;
    UniqueFd fd;
    std::vector<uint8_t> in;
    bool busy = false;
    Clock::time_point deadline;
  };
  // A query sent upstream: over UDP for a UDP client (conn 0), over TCP for a TCP one.
  struct Forward {
    std::string client;
    uint64_t conn = 0;
    sockaddr_in from{};
    dns::Query query;
    std::vector<uint8_t> packet, out, in;
    size_t upstream = 0, sent = 0;
    UniqueFd fd;
    Clock::time_point deadline;
  };
  enum class Kind { Udp, Listen };
  struct Watch {
    Kind kind;
    std::string client;
  };

  DnsServerOptions opts;
  UniqueFd epoll, wake;
  std::thread thread;
  std::mutex mu;
  bool stopping = false;
  uint64_t next_token = 1;
  std::map<std::string, Client> clients;
  std::map<uint64_t, Watch> watches;
  std::map<uint64_t, Conn> conns;
  std::map<uint64_t, Forward> forwards;
  uint8_t buf[kMaxTcpMessage + 2];

  uint64_t watch(int fd, uint32_t events) {
    uint64_t token = next_token++;
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = token;
    epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &ev);
    return token;
  }
  void unwatch(int fd) { epoll_ctl(epoll.get(), EPOLL_CTL_DEL, fd, nullptr); }

  void loop();
  int next_timeout_ms() const;
  void expire(Clock::time_point now);
  void on_udp(const std::string& id);
  void on_accept(const std::string& id);
  void on_conn(uint64_t token);
  void process_conn(uint64_t token);
  void close_conn(uint64_t token);
  void on_forward(uint64_t token, uint32_t events);
  void handle(const std::string& id, std::span<const uint8_t> packet, uint64_t conn, const sockaddr_in& from);
  bool launch(Forward f);
  bool open_upstream(Forward& f, const DnsUpstream& up);
  Forward take_forward(uint64_t token);
  void retry(uint64_t token);
  void finish(uint64_t token, std::span<const uint8_t> response);
  void reply(const std::string& id, uint64_t conn, const sockaddr_in& from, std::span<const uint8_t> msg);
  void remove_locked(const std::string& id);
};

void DnsServer::State::loop() {
  while (true) {
    int timeout;
    {
      std::lock_guard lk(mu);
      if (stopping) return;
      timeout = next_timeout_ms();
    }
    epoll_event evs[64];
    int n = epoll_wait(epoll.get(), evs, 64, timeout);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      log::error(sys_error("embedded DNS: epoll_wait").what());
      return;
    }
    std::lock_guard lk(mu);
    if (stopping) return;
    for (int i = 0; i < n; ++i) {
      uint64_t token = evs[i].data.u64;
      if (token == kWakeToken) {
        uint64_t count;
        (void)!read(wake.get(), &count, sizeof count);
      } else if (auto w = watches.find(token); w != watches.end()) {
        std::string id = w->second.client;
        if (w->second.kind == Kind::Udp) on_udp(id);
        else on_accept(id);
      } else if (conns.contains(token)) {
        on_conn(token);
      } else if (forwards.contains(token)) {
        on_forward(token, evs[i].events);
      }  // else: closed by an earlier event of this batch
    }
    expire(Clock::now());
  }
}

int DnsServer::State::next_timeout_ms() const {
  std::optional<Clock::time_point> next;
  auto consider = [&](Clock::time_point t) {
    if (!next || t < *next) next = t;
  };
  for (auto& [_, c] : conns)
    if (!c.busy) consider(c.deadline);
  for (auto& [_, f] : forwards) consider(f.deadline);
  if (!next) return -1;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(*next - Clock::now()).count();
  return ms < 0 ? 0 : int(std::min<int64_t>(ms, 60000));
}

void DnsServer::State::expire(Clock::time_point now) {
  std::vector<uint64_t> idle, late;
  for (auto& [t, c] : conns)
    if (!c.busy && c.deadline <= now) idle.push_back(t);
  for (auto& [t, f] : forwards)
    if (f.deadline <= now) late.push_back(t);
  for (auto t : idle) close_conn(t);
  for (auto t : late) retry(t);
}

void DnsServer::State::on_udp(const std::string& id) {
  for (int i = 0; i < 64; ++i) {  // a bounded batch: other clients get their turn
    auto c = clients.find(id);
    if (c == clients.end()) return;
    sockaddr_in from{};
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(c->second.udp.get(), buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC,
                         reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) return;
    if (size_t(n) > sizeof buf || from.sin_family != AF_INET) continue;
    handle(id, std::span<const uint8_t>(buf, size_t(n)), 0, from);
  }
}

void DnsServer::State::on_accept(const std::string& id) {
  while (true) {
    auto c = clients.find(id);
    if (c == clients.end()) return;
    UniqueFd fd(accept4(c->second.tcp.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) return;
    if (c->second.conns >= opts.max_tcp_per_client) continue;  // refused by closing
    uint64_t token = watch(fd.get(), EPOLLIN);
    ++c->second.conns;
    conns.emplace(token, Conn{id, std::move(fd), {}, false, Clock::now() + opts.tcp_idle});
  }
}

void DnsServer::State::on_conn(uint64_t token) {
  auto& c = conns.at(token);
  while (true) {
    ssize_t n = recv(c.fd.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return close_conn(token);
    if (n < 0) break;
    c.in.insert(c.in.end(), buf, buf + n);
    // One query at a time: a client that piles up more than one message more is cut off.
    if (c.in.size() > 2 * (kMaxTcpMessage + 2)) return close_conn(token);
  }
  c.deadline = Clock::now() + opts.tcp_idle;
  process_conn(token);
}

void DnsServer::State::process_conn(uint64_t token) {
  while (true) {
    auto it = conns.find(token);
    if (it == conns.end() || it->second.busy || it->second.in.size() < 2) return;
    auto& c = it->second;
    size_t len = size_t(c.in[0]) << 8 | c.in[1];
    if (c.in.size() < 2 + len) return;
    std::vector<uint8_t> msg(c.in.begin() + 2, c.in.begin() + 2 + long(len));
    c.in.erase(c.in.begin(), c.in.begin() + 2 + long(len));
    c.busy = true;
    handle(c.client, msg, token, {});
  }
}

void DnsServer::State::close_conn(uint64_t token) {
  auto it = conns.find(token);
  if (it == conns.end()) return;
  unwatch(it->second.fd.get());
  if (auto c = clients.find(it->second.client); c != clients.end()) --c->second.conns;
  conns.erase(it);
}

void DnsServer::State::handle(const std::string& id, std::span<const uint8_t> packet, uint64_t conn,
                              const sockaddr_in& from) {
  auto p = dns::parse_query(packet);
  if (p.kind == dns::Parsed::Kind::Drop) {
    if (conn) close_conn(conn);
    return;
  }
  if (p.kind == dns::Parsed::Kind::Error) return reply(id, conn, from, dns::error_response(packet, p.rcode));
  if (auto own = opts.resolve ? opts.resolve(id, p.query) : std::nullopt) return reply(id, conn, from, *own);
  auto& c = clients.at(id);
  if (c.upstreams.empty()) return reply(id, conn, from, dns::empty_response(p.query, dns::kNxDomain));
  if (forwards.size() >= opts.max_in_flight || c.in_flight >= opts.max_in_flight_per_client)
    return reply(id, conn, from, dns::empty_response(p.query, dns::kServFail));
  Forward f;
  f.client = id;
  f.conn = conn;
  f.from = from;
  f.query = p.query;
  f.packet.assign(packet.begin(), packet.end());
  launch(std::move(f));
}

bool DnsServer::State::open_upstream(Forward& f, const DnsUpstream& up) {
  bool tcp = f.conn != 0;
  f.fd = UniqueFd(socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!f.fd) return false;
  auto sa = sockaddr_of(up.addr, up.port);
  if (connect(f.fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 && errno != EINPROGRESS) return false;
  if (!tcp) return send(f.fd.get(), f.packet.data(), f.packet.size(), MSG_DONTWAIT) == ssize_t(f.packet.size());
  f.out = with_length(f.packet);
  f.sent = 0;
  f.in.clear();
  return true;
}

// Tries the upstreams from f.upstream on; SERVFAIL when none takes the query. False when it
// is not in flight (answered or dropped).
bool DnsServer::State::launch(Forward f) {
  auto c = clients.find(f.client);
  if (c == clients.end()) return false;
  for (; f.upstream < c->second.upstreams.size(); ++f.upstream) {
    if (!open_upstream(f, c->second.upstreams[f.upstream])) continue;
    f.deadline = Clock::now() + opts.upstream_timeout;
    uint64_t token = watch(f.fd.get(), f.conn ? EPOLLOUT : EPOLLIN);
    ++c->second.in_flight;
    forwards.emplace(token, std::move(f));
    return true;
  }
  reply(f.client, f.conn, f.from, dns::empty_response(f.query, dns::kServFail));
  return false;
}

DnsServer::State::Forward DnsServer::State::take_forward(uint64_t token) {
  auto node = forwards.extract(token);
  unwatch(node.mapped().fd.get());
  node.mapped().fd.reset();
  if (auto c = clients.find(node.mapped().client); c != clients.end()) --c->second.in_flight;
  return std::move(node.mapped());
}

void DnsServer::State::retry(uint64_t token) {
  auto f = take_forward(token);
  ++f.upstream;
  uint64_t conn = f.conn;
  if (!launch(std::move(f)) && conn) process_conn(conn);  // the next query of that connection
}

void DnsServer::State::finish(uint64_t token, std::span<const uint8_t> response) {
  auto f = take_forward(token);
  reply(f.client, f.conn, f.from, response);
  if (f.conn) process_conn(f.conn);
}

void DnsServer::State::on_forward(uint64_t token, uint32_t events) {
  auto& f = forwards.at(token);
  if (!f.conn) {
    ssize_t n = recv(f.fd.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n < 0) return retry(token);  // ECONNREFUSED: nothing listens there
    std::span<const uint8_t> r(buf, size_t(n));
    // Only the answer to this query; anything else is ignored until the deadline.
    if (r.size() < dns::kHeaderSize || dns::message_id(r) != f.query.id || !(r[2] & 0x80)) return;
    return finish(token, r);
  }
  if (f.sent < f.out.size()) {
    if (events & (EPOLLERR | EPOLLHUP)) return retry(token);
    ssize_t n = send(f.fd.get(), f.out.data() + f.sent, f.out.size() - f.sent, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n < 0) return retry(token);
    f.sent += size_t(n);
    if (f.sent == f.out.size()) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = token;
      epoll_ctl(epoll.get(), EPOLL_CTL_MOD, f.fd.get(), &ev);
    }
    return;
  }
  while (true) {
    ssize_t n = recv(f.fd.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) return retry(token);
    f.in.insert(f.in.end(), buf, buf + n);
    if (f.in.size() < 2) continue;
    size_t len = size_t(f.in[0]) << 8 | f.in[1];
    if (f.in.size() < 2 + len) continue;
    std::vector<uint8_t> r(f.in.begin() + 2, f.in.begin() + 2 + long(len));
    return finish(token, r);
  }
}

void DnsServer::State::reply(const std::string& id, uint64_t conn, const sockaddr_in& from,
                             std::span<const uint8_t> msg) {
  if (!conn) {
    if (auto c = clients.find(id); c != clients.end())
      (void)sendto(c->second.udp.get(), msg.data(), msg.size(), MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&from),
                   sizeof from);
    return;
  }
  auto it = conns.find(conn);
  if (it == conns.end()) return;  // the client hung up meanwhile
  auto framed = with_length(msg);
  // Answers are small next to a socket buffer; a client that cannot take one is cut off.
  if (send(it->second.fd.get(), framed.data(), framed.size(), MSG_DONTWAIT | MSG_NOSIGNAL) != ssize_t(framed.size()))
    return close_conn(conn);
  it->second.busy = false;
  it->second.deadline = Clock::now() + opts.tcp_idle;
}

void DnsServer::State::remove_locked(const std::string& id) {
  auto c = clients.find(id);
  if (c == clients.end()) return;
  std::vector<uint64_t> tokens;
  for (auto& [t, conn] : conns)
    if (conn.client == id) tokens.push_back(t);
  for (auto t : tokens) close_conn(t);
  tokens.clear();
  for (auto& [t, f] : forwards)
    if (f.client == id) tokens.push_back(t);
  for (auto t : tokens) (void)take_forward(t);
  unwatch(c->second.udp.get());
  unwatch(c->second.tcp.get());
  watches.erase(c->second.udp_token);
  watches.erase(c->second.tcp_token);
  clients.erase(c);
}

DnsServer::DnsServer(std::unique_ptr<State> s) : s_(std::move(s)) {}

Result<std::unique_ptr<DnsServer>> DnsServer::start(DnsServerOptions o) {
  auto s = std::make_unique<State>();
  s->opts = std::move(o);
  s->epoll = UniqueFd(epoll_create1(EPOLL_CLOEXEC));
  s->wake = UniqueFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!s->epoll || !s->wake) return fail_sys("embedded DNS: epoll");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeToken;
  if (epoll_ctl(s->epoll.get(), EPOLL_CTL_ADD, s->wake.get(), &ev) != 0) return fail_sys("embedded DNS: epoll_ctl");
  s->thread = std::thread([st = s.get()] { st->loop(); });
  return std::unique_ptr<DnsServer>(new DnsServer(std::move(s)));
}

DnsServer::~DnsServer() {
  {
    std::lock_guard lk(s_->mu);
    s_->stopping = true;
  }
  uint64_t one = 1;
  (void)!write(s_->wake.get(), &one, sizeof one);
  if (s_->thread.joinable()) s_->thread.join();
}

Result<> DnsServer::add(const std::string& client, const std::string& netns_path, std::vector<DnsUpstream> upstreams) {
  remove(client);  // its old sockets hold the address
  auto socks = BERTH_TRY(open_in_netns(netns_path, s_->opts.listen, s_->opts.port), "embedded DNS");
  std::lock_guard lk(s_->mu);
  s_->remove_locked(client);  // added by a racing call meanwhile
  State::Client c;
  c.udp = std::move(socks.udp);
  c.tcp = std::move(socks.tcp);
  c.upstreams = std::move(upstreams);
  c.udp_token = s_->watch(c.udp.get(), EPOLLIN);
  c.tcp_token = s_->watch(c.tcp.get(), EPOLLIN);
  s_->watches[c.udp_token] = {State::Kind::Udp, client};
  s_->watches[c.tcp_token] = {State::Kind::Listen, client};
  s_->clients.emplace(client, std::move(c));
  uint64_t one = 1;  // the loop's timeout may have changed
  (void)!write(s_->wake.get(), &one, sizeof one);
  return {};
}

void DnsServer::remove(const std::string& client) {
  std::lock_guard lk(s_->mu);
  s_->remove_locked(client);
}

size_t DnsServer::client_count() const {
  std::lock_guard lk(s_->mu);
  return s_->clients.size();
}

}  // namespace berth::network
