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

Result<> logs(Exchange& ex, engine::Daemon& d) {
  auto& req = ex.request();
  auto& svc = d.container_service();
  auto c = BERTH_TRY(svc.find(req.param("name")), "");
  auto f = format_of(c, req);
  if (!f.stdout_ && !f.stderr_) return fail(ErrorKind::Invalid, "Bad parameters: you must choose at least one stream");
  bool follow = req.query_bool("follow") && c.state == "running";
  auto reader = BERTH_TRY(engine::LogReader::open(svc.container_dir(c.id), svc.log_path(c.id), follow, false), "");
  auto first = BERTH_TRY(reader.read_tail(parse_tail(req)), "");
  BERTH_CHECK(ex.start_stream(200, f.tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream"), "");
  if (auto s = encode_all(first, f); !s.empty()) BERTH_CHECK(ex.write(s), "");
  while (follow) {
    bool ended = reader.ended();  // before the read: records written before the exit are all read
    auto more = BERTH_TRY(reader.read_new(), "");
    if (auto s = encode_all(more, f); !s.empty()) BERTH_CHECK(ex.write(s), "");
    if (ended) break;
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
  auto reader = BERTH_TRY(engine::LogReader::open(svc.container_dir(c.id), svc.log_path(c.id), follow, !from_start), "");
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
