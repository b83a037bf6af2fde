// A container's output as a stream: `docker logs` (GET /containers/{id}/logs) and the output
// half of attach (POST /containers/{id}/attach, a hijacked connection), both read from the
// json-file log the shim writes. Without a TTY each record is a multiplexed frame.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "api/mux_stream.hpp"
#include "api/response.hpp"
#include "api/routes.hpp"
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

// Output only for now: stdin of an attach is not forwarded yet.
Result<> attach(Exchange& ex, engine::Daemon& d) {
  auto& req = ex.request();
  auto& svc = d.container_service();
  auto c = BERTH_TRY(svc.find(req.param("name")), "");
  auto f = format_of(c, req);
  bool stream = req.query_bool("stream");
  bool from_start = c.state == "created" || req.query_bool("logs");
  bool follow = stream && c.state != "exited";
  // A driver that keeps no log has nothing to replay: an empty json-file path reads as nothing.
  auto file = svc.log_file(c).value_or(engine::LogFile{engine::LogFormat::JsonFile, svc.log_path(c.id)});
  auto reader = BERTH_TRY(engine::LogReader::open(svc.container_dir(c.id), file, follow, !from_start), "");
  auto conn = BERTH_TRY(ex.hijack(f.tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream"), "");
  int fd = conn.fd.get();
  while (true) {
    bool ended = !follow || reader.ended();
    auto more = BERTH_TRY(reader.read_new(), "");
    if (auto s = encode_all(more, f); !s.empty() && !send_all(fd, s)) return {};
    if (ended) break;
    pollfd fds[2] = {{reader.wake_fd(), POLLIN, 0}, {fd, 0, 0}};
    if (poll(fds, 2, -1) < 0 && errno != EINTR) break;
    if (fds[1].revents & (POLLHUP | POLLERR)) return {};
    reader.clear_wake();
  }
  shutdown(fd, SHUT_WR);
  return {};
}

}  // namespace

void add_container_stream_routes(Router& r, engine::Daemon& d) {
  r.add("GET", "/containers/{name}/logs", [&d](Exchange& ex) { return logs(ex, d); });
  r.add("POST", "/containers/{name}/attach", [&d](Exchange& ex) { return attach(ex, d); });
}

}  // namespace berth::api
