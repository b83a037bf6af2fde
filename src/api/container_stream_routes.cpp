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

#include "common/json_util.hpp"
#include "api/attach_session.hpp"
#include "api/mux_stream.hpp"
#include "api/response.hpp"
#include "api/routes.hpp"
#include "common/log.hpp"
#include "engine/attach_protocol.hpp"
#include "engine/log_reader.hpp"

namespace berth::api {

namespace {

StreamFormat format_of(const engine::ContainerRecord& c, const Request& req) {
  StreamFormat f;
  auto cfg = nlohmann::json::parse(c.config_json, nullptr, false);
  f.tty = json_flag(cfg, "Tty");
  f.stdout_ = req.query_bool("stdout");
  f.stderr_ = req.query_bool("stderr");
  f.timestamps = req.query_bool("timestamps");
  return f;
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

Result<> attach(Exchange& ex, engine::Daemon& d) {
  auto& req = ex.request();
  auto& svc = d.container_service();
  auto c = BERTH_TRY(svc.find(req.param("name")), "");
  auto f = format_of(c, req);
  auto cfg = nlohmann::json::parse(c.config_json, nullptr, false);
  bool stdin_once = json_flag(cfg, "StdinOnce");
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

Result<> resize_container(Exchange& ex, engine::Daemon& d) {
  auto& req = ex.request();
  auto [h, w] = BERTH_TRY(parse_terminal_size(req), "");
  BERTH_CHECK(d.container_service().resize(req.param("name"), h, w), "");
  return ex.reply(200, "text/plain", "");
}

}  // namespace

void add_container_stream_routes(Router& r, engine::Daemon& d) {
  r.add("GET", "/containers/{name}/logs", [&d](Exchange& ex) { return logs(ex, d); });
  r.add("POST", "/containers/{name}/attach", [&d](Exchange& ex) { return attach(ex, d); });
  r.add("POST", "/containers/{name}/resize", [&d](Exchange& ex) { return resize_container(ex, d); });
}

}  // namespace berth::api
