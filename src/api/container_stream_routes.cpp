// A container's output as a stream: `docker logs` (GET /containers/{id}/logs) from the json-file
// log the shim writes; attach (POST /containers/{id}/attach, a hijacked connection) live from
// the shim's attach socket, with stdin, detach keys and attach-before-start; resize. Without a
// TTY each record is a multiplexed frame.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "api/mux_stream.hpp"
#include "api/response.hpp"
#include "api/routes.hpp"
#include "common/log.hpp"
#include "engine/attach_protocol.hpp"
#include "engine/log_reader.hpp"

namespace berth::api {

namespace {

struct StreamFormat {
  bool tty = false, stdout_ = true, stderr_ = true, timestamps = false;
};

StreamFormat format_of(const engine::ContainerRecord& c, const Request& req) {
  StreamFormat f;
  auto cfg = nlohmann::json::parse(c.config_json, nullptr, false);
  f.tty = cfg.is_object() && cfg.value("Tty", false);
  f.stdout_ = req.query_bool("stdout");
  f.stderr_ = req.query_bool("stderr");
  f.timestamps = req.query_bool("timestamps");
  return f;
}

// The bytes one record becomes on the wire ("" when its stream was not asked for).
std::string encode(const engine::LogEntry& e, const StreamFormat& f) {
  bool is_err = e.stream == "stderr";
  if (is_err ? !f.stderr_ : !f.stdout_) return "";
  std::string payload = f.timestamps ? e.time + " " + e.log : e.log;
  if (f.tty) return payload;
  return mux_frame(is_err ? StdStream::Stderr : StdStream::Stdout, payload);
}

std::string encode_all(const std::vector<engine::LogEntry>& es, const StreamFormat& f) {
  std::string out;
  for (auto& e : es) out += encode(e, f);
  return out;
}

long parse_tail(const Request& req) {
  auto t = req.query_value("tail").value_or("all");
  if (t.empty() || t == "all") return -1;
  char* end = nullptr;
  long n = std::strtol(t.c_str(), &end, 10);
  return (end && *end == 0 && n >= 0) ? n : -1;
}

// --since / --until: the client sends Unix times, "1700000000.123456789" (or whole seconds).
std::optional<int64_t> unix_ns(std::string_view v) {
  if (v.empty()) return std::nullopt;
  auto dot = v.find('.');
  std::string secs(v.substr(0, dot)), frac = dot == std::string_view::npos ? "" : std::string(v.substr(dot + 1));
  if (secs.empty() || secs.find_first_not_of("0123456789-") != std::string::npos ||
      frac.find_first_not_of("0123456789") != std::string::npos || frac.size() > 9)
    return std::nullopt;
  frac.resize(9, '0');
  return std::stoll(secs) * 1000000000 + std::stoll(frac);
}

struct Window {
  int64_t since = 0, until = 0;  // 0: unbounded
  // The records inside the window; sets past_until at the first one after it.
  std::vector<engine::LogEntry> select(std::vector<engine::LogEntry> in, bool& past_until) const {
    if (!since && !until) return in;
    std::vector<engine::LogEntry> out;
    for (auto& e : in) {
      auto t = engine::log_time_ns(e.time);
      if (!t) continue;
      if (until && *t > until) {
        past_until = true;
        break;
      }
      if (since && *t < since) continue;
      out.push_back(std::move(e));
    }
    return out;
  }
};

Result<Window> parse_window(const Request& req) {
  Window w;
  for (auto [key, field] : {std::pair{"since", &w.since}, std::pair{"until", &w.until}}) {
    auto v = req.query_value(key).value_or("");
    if (v.empty() || v == "0") continue;
    auto ns = unix_ns(v);
    if (!ns) return fail(ErrorKind::Invalid, std::string("invalid value for \"") + key + "\": " + v);
    *field = *ns;
  }
  return w;
}

Result<> logs(Exchange& ex, engine::Daemon& d) {
  auto& req = ex.request();
  auto& svc = d.container_service();
  auto c = BERTH_TRY(svc.find(req.param("name")), "");
  auto f = format_of(c, req);
  if (!f.stdout_ && !f.stderr_) return fail(ErrorKind::Invalid, "Bad parameters: you must choose at least one stream");
  auto file = svc.log_file(c);
  // dockerd: 501, the driver cannot be read back.
  if (!file) return reply_error(ex, 501, "configured logging driver does not support reading");
  auto window = BERTH_TRY(parse_window(req), "");
  bool follow = req.query_bool("follow") && c.state == "running";
  auto reader = BERTH_TRY(engine::LogReader::open(svc.container_dir(c.id), *file, follow, false), "");
  auto first = BERTH_TRY(reader.read_tail(parse_tail(req)), "");
  BERTH_CHECK(ex.start_stream(200, f.tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream"), "");
  bool past_until = false;
  if (auto s = encode_all(window.select(first, past_until), f); !s.empty()) BERTH_CHECK(ex.write(s), "");
  while (follow && !past_until) {
    bool ended = reader.ended();  // before the read: records written before the exit are all read
    auto more = BERTH_TRY(reader.read_new(), "");
    if (auto s = encode_all(window.select(more, past_until), f); !s.empty()) BERTH_CHECK(ex.write(s), "");
    if (ended || past_until) break;
    if (ex.wait(reader.wake_fd(), -1) == WaitResult::ClientGone) return {};
    reader.clear_wake();
  }
  return ex.finish_stream();
}

bool send_all(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    s.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

constexpr size_t kEarlyStdinLimit = 1 << 20;  // stdin held while an attach waits for the start

// One attach session: the client's hijacked connection on one side, the shim's attach socket on
// the other. Output frames go to the client (multiplexed, or raw with a TTY); the client's bytes
// go to the container's stdin when stdin was asked for. With a TTY the detach keys end the
// session and leave the container running. Client EOF: with StdinOnce (no TTY) the container's
// stdin is closed and the output still streams to its end; otherwise the session ends, as with
// dockerd.
class AttachSession {
 public:
  AttachSession(int client, const StreamFormat& f, bool want_stdin, bool stdin_once, std::string detach_keys)
      : client_(client), f_(f), want_stdin_(want_stdin), stdin_once_(stdin_once),
        detach_(f.tty ? std::move(detach_keys) : std::string()) {}

  // Client bytes that came before the shim connection (the hijack's pending bytes, stdin typed
  // before the start).
  void early_input(std::string_view data) { early_ += data; }

  // Waits for the start that connects this attach; false when the client went away first.
  bool wait_for_start(engine::AttachWaiter& w) {
    while (true) {
      bool take = want_stdin_ && client_open_ && early_.size() < kEarlyStdinLimit;
      pollfd fds[2] = {{w.ready.get(), POLLIN, 0}, {client_, static_cast<short>(take ? POLLIN : 0), 0}};
      if (poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      if (fds[0].revents & POLLIN) return true;
      if (fds[1].revents & POLLIN) {
        char buf[16 * 1024];
        ssize_t n = read(client_, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        if (n == 0) client_open_ = false;  // half-closed: stdin ended, the output may still go out
        else early_.append(buf, static_cast<size_t>(n));
      } else if (fds[1].revents & (POLLHUP | POLLERR)) {
        return false;
      }
    }
  }

  void run(UniqueFd shim) {
    shim_ = std::move(shim);
    int fl = fcntl(shim_.get(), F_GETFL);
    fcntl(shim_.get(), F_SETFL, fl | O_NONBLOCK);  // stdin is queued: never blocked by the shim
    if (!early_.empty()) {
      std::string e = std::move(early_);
      if (!client_input(e)) return finish();
    }
    if (!client_open_ && !client_eof()) return finish();
    engine::FrameDecoder dec;
    char buf[32 * 1024];
    while (true) {
      bool take = client_open_ && to_shim_.size() < kToShimHigh;
      short shim_ev = POLLIN | (to_shim_.empty() ? 0 : POLLOUT);
      pollfd fds[2] = {{shim_.get(), shim_ev, 0}, {client_, static_cast<short>(take ? POLLIN : 0), 0}};
      if (poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return finish();
      }
      if ((fds[0].revents & POLLOUT) && !flush_to_shim()) return finish();
      if (fds[1].revents & POLLIN) {
        ssize_t n = read(client_, buf, sizeof buf);
        if (n < 0 && errno != EINTR) return finish();
        if (n == 0) {
          client_open_ = false;
          if (!client_eof()) return finish_after_stdin();
        } else if (n > 0 && !client_input(std::string_view(buf, static_cast<size_t>(n)))) {
          return finish_after_stdin();
        }
      } else if (fds[1].revents & (POLLHUP | POLLERR)) {
        return finish();  // the client is gone: nothing to wait for
      }
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = read(shim_.get(), buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n <= 0) return finish();  // the output has ended
        dec.feed(std::string_view(buf, static_cast<size_t>(n)));
        while (true) {
          auto fr = dec.next();
          if (!fr) {
            log::error("attach: " + fr.error().what());
            return finish();
          }
          if (!*fr) break;
          auto& frame = **fr;
          if (frame.type == engine::FrameType::Error) {
            log::error("attach: the shim refused: " + frame.payload);
            return finish();
          }
          if (frame.type != engine::FrameType::Stdout && frame.type != engine::FrameType::Stderr) continue;
          engine::LogEntry e{frame.type == engine::FrameType::Stderr ? "stderr" : "stdout", frame.payload, ""};
          StreamFormat plain = f_;
          plain.timestamps = false;
          if (auto s = encode(e, plain); !s.empty() && !send_all(client_, s)) return finish();
        }
      }
    }
  }

 private:
  static constexpr size_t kToShimHigh = 256 * 1024;

  // Client bytes; false when the session ends (detached).
  bool client_input(std::string_view data) {
    if (!want_stdin_) return true;  // dockerd reads and drops them
    std::string fwd = detach_.feed(data);
    if (!fwd.empty()) to_shim_ += engine::encode_frame(engine::FrameType::Stdin, fwd);
    if (!flush_to_shim()) return false;
    return !detach_.detached();
  }
  // The client closed its sending side; false when that ends the session.
  bool client_eof() {
    if (!want_stdin_) return true;
    std::string held = detach_.take_pending();
    if (!held.empty()) to_shim_ += engine::encode_frame(engine::FrameType::Stdin, held);
    if (stdin_once_ && !f_.tty) {
      to_shim_ += engine::encode_frame(engine::FrameType::CloseStdin);
      return flush_to_shim();
    }
    return false;
  }
  // Sends what it can of the queued stdin frames without blocking; false when the shim is gone.
  bool flush_to_shim() {
    while (!to_shim_.empty()) {
      ssize_t n = send(shim_.get(), to_shim_.data(), to_shim_.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return true;
      if (n <= 0) return false;
      to_shim_.erase(0, static_cast<size_t>(n));
    }
    return true;
  }
  // The session ends on the client's side: the stdin it sent still reaches the container
  // (bounded wait), then both connections close.
  void finish_after_stdin() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!to_shim_.empty() && std::chrono::steady_clock::now() < deadline) {
      pollfd p{shim_.get(), POLLOUT, 0};
      if (poll(&p, 1, 100) < 0 && errno != EINTR) break;
      if (!flush_to_shim()) break;
    }
    finish();
  }
  void finish() {
    shutdown(client_, SHUT_RDWR);
    shim_.reset();
  }

  int client_;
  StreamFormat f_;
  bool want_stdin_, stdin_once_;
  engine::DetachMatcher detach_;
  UniqueFd shim_;
  std::string early_, to_shim_;
  bool client_open_ = true;
};

Result<> attach(Exchange& ex, engine::Daemon& d) {
  auto& req = ex.request();
  auto& svc = d.container_service();
  auto c = BERTH_TRY(svc.find(req.param("name")), "");
  auto f = format_of(c, req);
  auto cfg = nlohmann::json::parse(c.config_json, nullptr, false);
  bool stdin_once = cfg.is_object() && cfg.value("StdinOnce", false);
  bool want_stdin = req.query_bool("stdin");
  std::string keys_text = req.query_value("detachKeys").value_or("");
  if (keys_text.empty()) keys_text = engine::kDefaultDetachKeys;
  auto keys = engine::parse_detach_keys(keys_text);
  if (!keys) return fail(ErrorKind::Invalid, "Invalid detach keys (" + keys_text + ") provided");
  bool stream = req.query_bool("stream");
  bool logs = req.query_bool("logs");
  // Before the hijack, so that errors are proper HTTP answers.
  std::optional<engine::AttachTarget> target;
  if (stream) target = BERTH_TRY(svc.attach(c.id), "");
  auto cancel = [&] {
    if (target && target->waiter) svc.cancel_attach(c.id, target->waiter);
  };
  auto conn = ex.hijack(f.tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream");
  if (!conn) {
    cancel();
    return fail(conn.error());
  }
  int fd = conn->fd.get();
  // A driver that keeps no log has nothing to replay.
  if (auto file = svc.log_file(c); logs && file) {
    auto reader = engine::LogReader::open(svc.container_dir(c.id), *file, false, false);
    if (reader) {
      if (auto all = reader->read_tail(-1); all)
        if (auto s = encode_all(*all, f); !s.empty() && !send_all(fd, s)) {
          cancel();
          return {};
        }
    }
  }
  if (!stream) {
    shutdown(fd, SHUT_WR);
    return {};
  }
  AttachSession session(fd, f, want_stdin, stdin_once, *keys);
  session.early_input(conn->pending);
  UniqueFd shim = std::move(target->shim);
  if (target->waiter) {
    auto& w = *target->waiter;
    if (!session.wait_for_start(w)) {
      cancel();
      return {};
    }
    std::lock_guard lk(w.mu);
    if (!w.shim) {
      log::error("attach " + c.id + ": " + w.error);
      return {};
    }
    shim = std::move(w.shim);
  }
  session.run(std::move(shim));
  return {};
}

Result<> resize(Exchange& ex, engine::Daemon& d) {
  auto& req = ex.request();
  auto dim = [&](const char* k) -> Result<uint32_t> {
    auto v = req.query_value(k).value_or("");
    char* end = nullptr;
    errno = 0;
    long long n = v.empty() ? -1 : std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || !end || *end != 0 || errno == ERANGE)
      return fail(ErrorKind::Invalid, "strconv.Atoi: parsing \"" + v + "\": invalid syntax");
    if (n < 0 || n > engine::kMaxWinSize)
      return fail(ErrorKind::Invalid, std::string("invalid terminal size: ") + k + "=" + v + " (0 to 65535)");
    return static_cast<uint32_t>(n);
  };
  uint32_t h = BERTH_TRY(dim("h"), "");
  uint32_t w = BERTH_TRY(dim("w"), "");
  BERTH_CHECK(d.container_service().resize(req.param("name"), h, w), "");
  return ex.reply(200, "text/plain", "");
}

}  // namespace

void add_container_stream_routes(Router& r, engine::Daemon& d) {
  r.add("GET", "/containers/{name}/logs", [&d](Exchange& ex) { return logs(ex, d); });
  r.add("POST", "/containers/{name}/attach", [&d](Exchange& ex) { return attach(ex, d); });
  r.add("POST", "/containers/{name}/resize", [&d](Exchange& ex) { return resize(ex, d); });
}

}  // namespace berth::api
