#include "engine/exec_service.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/fs.hpp"
#include "common/json_util.hpp"
#include "common/log.hpp"
#include "engine/attach_protocol.hpp"
#include "engine/container_id.hpp"
#include "engine/exec_request.hpp"
#include "engine/user_lookup.hpp"

namespace berth::engine {

using nlohmann::json;

namespace {

constexpr int kShimAnswerMs = 10'000;   // for the shim to start the process
constexpr size_t kProbeOutput = 4096;   // dockerd keeps this much of a probe's output

// Reads exactly n bytes (blocking, bounded by the shim's answer time).
Result<std::string> read_exact(int fd, size_t n) {
  std::string out;
  while (out.size() < n) {
    pollfd p{fd, POLLIN, 0};
    int r = poll(&p, 1, kShimAnswerMs);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return fail(ErrorKind::Internal, "no answer from the container's shim");
    char buf[4096];
    ssize_t got = read(fd, buf, std::min(sizeof buf, n - out.size()));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return fail(ErrorKind::Internal, "the container's shim closed the connection");
    out.append(buf, static_cast<size_t>(got));
  }
  return out;
}

// One frame, read without taking a byte past it: what follows belongs to the output relay.
Result<Frame> read_frame(int fd) {
  auto head = BERTH_TRY(read_exact(fd, kFrameHeader), "");
  FrameDecoder dec;
  dec.feed(head);
  auto len = (static_cast<uint32_t>(static_cast<unsigned char>(head[1])) << 24) |
             (static_cast<uint32_t>(static_cast<unsigned char>(head[2])) << 16) |
             (static_cast<uint32_t>(static_cast<unsigned char>(head[3])) << 8) | static_cast<unsigned char>(head[4]);
  if (len > kMaxFramePayload) return fail(ErrorKind::Internal, "shim protocol: frame too long");
  dec.feed(BERTH_TRY(read_exact(fd, len), ""));
  auto f = BERTH_TRY(dec.next(), "shim protocol");
  if (!f) return fail(ErrorKind::Internal, "shim protocol: incomplete frame");
  return std::move(*f);
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// dockerd records 126 for an exec whose process could not be started, whatever the reason (its
// deferred cleanup overrides the 127 it first sets for a missing program).
constexpr int kStartFailed = 126;

}  // namespace

ExecService::ExecService(ContainerService& containers, FrameLoop& loop) : containers_(containers), loop_(loop) {}

void ExecService::drop_orphans() {
  std::erase_if(execs_, [&](const auto& e) { return !containers_.find(e.second.container_id); });
}

Result<std::string> ExecService::create(std::string_view ref, const ExecConfig& cfg) {
  auto c = BERTH_TRY(containers_.find(ref), "");
  if (c.state == "paused") return fail(ErrorKind::Conflict, "Container " + std::string(ref) + " is paused, unpause the container before exec");
  if (c.state == "restarting")
    return fail(ErrorKind::Conflict, "Container " + c.id + " is restarting, wait until the container is running");
  if (c.state != "running") return fail(ErrorKind::Conflict, "Container " + c.id + " is not running");
  ExecInfo e;
  e.id = generate_id();
  e.container_id = c.id;
  e.config = cfg;
  {
    std::lock_guard lk(mu_);
    drop_orphans();
    execs_[e.id] = e;
  }
  containers_.event(c, "exec_create: " + join(cfg.cmd, " "), {{"execID", e.id}});
  return e.id;
}

Result<ExecInfo> ExecService::inspect(const std::string& id) {
  std::lock_guard lk(mu_);
  auto it = execs_.find(id);
  if (it == execs_.end() || !containers_.find(it->second.container_id))
    return fail(ErrorKind::NotFound, "No such exec instance: " + id);
  return it->second;
}

Result<std::pair<ExecInfo, ContainerRecord>> ExecService::live(const std::string& id, bool for_start) {
  auto e = BERTH_TRY(inspect(id), "");
  auto c = containers_.find(e.container_id);
  if (!c) return fail(ErrorKind::NotFound, "No such exec instance: " + id);
  if (c->state == "paused") return fail(ErrorKind::Conflict, "Container " + c->id + " is paused, unpause the container before exec");
  if (c->state != "running") return fail(ErrorKind::Conflict, "Container " + c->id + " is not running");
  if (for_start && e.exit_code) return fail(ErrorKind::Conflict, "Error: Exec command " + id + " has already run");
  if (for_start && e.running) return fail(ErrorKind::Conflict, "Error: Exec command " + id + " is already running");
  return std::pair{std::move(e), std::move(*c)};
}

Result<json> ExecService::process_for(const ContainerRecord& c, const ExecConfig& cfg) {
  std::string bundle = containers_.bundle_dir(c.id);
  auto text = BERTH_TRY(read_file(path_join(bundle, "config.json")), "read the container's config.json");
  auto spec = BERTH_TRY(parse_json(text, "config.json"), "");
  std::optional<ResolvedUser> user;
  if (!cfg.user.empty()) {
    std::string rootfs = path_join(bundle, "rootfs");
    user = BERTH_TRY(resolve_user(cfg.user, read_in_root(rootfs, "etc/passwd"), read_in_root(rootfs, "etc/group")), "");
  }
  return exec_process(spec.value("process", json()), cfg, user);
}

Result<std::pair<UniqueFd, pid_t>> ExecService::run_in_shim(const std::string& container_id, const json& process,
                                                            bool open_stdin, int64_t timeout_ms) {
  auto conn = BERTH_TRY(connect_attach_socket(containers_.state_dir(container_id)), "connect to the container's shim");
  ExecRequest req{process, open_stdin, timeout_ms};
  if (!send_all(conn.get(), encode_frame(FrameType::Exec, encode_exec_request(req)))) return fail_sys("send to the container's shim");
  auto f = BERTH_TRY(read_frame(conn.get()), "");
  if (f.type == FrameType::Error) return fail(ErrorKind::Invalid, f.payload);
  if (f.type != FrameType::ExecStarted) return fail(ErrorKind::Internal, "shim protocol: expected ExecStarted");
  return std::pair{std::move(conn), static_cast<pid_t>(std::atoi(f.payload.c_str()))};
}

Result<UniqueFd> ExecService::start(const std::string& id) {
  auto [e, c] = BERTH_TRY(live(id, true), "");
  {
    std::lock_guard lk(mu_);
    auto it = execs_.find(id);
    if (it == execs_.end()) return fail(ErrorKind::NotFound, "No such exec instance: " + id);
    if (it->second.running) return fail(ErrorKind::Conflict, "Error: Exec command " + id + " is already running");
    it->second.running = true;  // claimed: a second start is refused
  }
  auto ran = [&]() -> Result<std::pair<UniqueFd, pid_t>> {
    auto process = BERTH_TRY(process_for(c, e.config), "");
    return run_in_shim(c.id, process, e.config.attach_stdin, 0);
  }();
  std::lock_guard lk(mu_);
  auto& rec = execs_[id];
  if (!ran) {
    rec.running = false;
    rec.exit_code = kStartFailed;
    return fail(ran.error());
  }
  rec.pid = ran->second;
  containers_.event(c, "exec_start: " + join(e.config.cmd, " "), {{"execID", id}});
  return std::move(ran->first);
}

void ExecService::finished(const std::string& id, const std::string& exit_payload) {
  auto ex = decode_exec_exit(exit_payload);
  std::optional<ContainerRecord> c;
  {
    std::lock_guard lk(mu_);
    auto it = execs_.find(id);
    if (it == execs_.end()) return;
    it->second.running = false;
    // No report: the shim went with its container, which took the exec along (SIGKILL).
    it->second.exit_code = ex ? ex->exit_code : 137;
    if (auto r = containers_.find(it->second.container_id)) c = *r;
  }
  if (c) containers_.event(*c, "exec_die", {{"execID", id}, {"exitCode", std::to_string(ex ? ex->exit_code : 137)}});
}

void ExecService::follow(const std::string& id, UniqueFd conn) {
  auto exit_payload = std::make_shared<std::string>();
  loop_.watch(
      std::move(conn),
      [exit_payload](const Frame& f) {
        if (f.type == FrameType::ExecExit) *exit_payload = f.payload;
      },
      [this, id, exit_payload] { finished(id, *exit_payload); });
}

Result<> ExecService::resize(const std::string& id, uint32_t rows, uint32_t cols) {
  auto e = BERTH_TRY(inspect(id), "");
  if (!e.running || !e.pid) return fail(ErrorKind::Conflict, "Exec " + id + " is not running, so it can not be resized.");
  auto conn = BERTH_TRY(connect_attach_socket(containers_.state_dir(e.container_id)), "resize exec " + id);
  if (!send_all(conn.get(), encode_frame(FrameType::ExecResize, encode_exec_resize({e.pid, rows, cols}))))
    return fail_sys("resize exec " + id);
  return {};
}

void ExecService::probe(const std::string& container_id, const std::vector<std::string>& cmd,
                        std::chrono::milliseconds timeout, std::function<void(ProbeResult)> done) {
  auto c = containers_.find(container_id);
  if (!c || c->state != "running") return done(ProbeResult{-1, false, "container is not running"});
  ExecConfig cfg;
  cfg.cmd = cmd;
  auto process = process_for(*c, cfg);
  if (!process) return done(ProbeResult{-1, false, process.error().what()});
  auto ran = run_in_shim(c->id, *process, false, timeout.count());
  if (!ran) return done(ProbeResult{-1, false, ran.error().what()});
  auto result = std::make_shared<ProbeResult>();
  loop_.watch(
      std::move(ran->first),
      [result](const Frame& f) {
        if (f.type == FrameType::Stdout || f.type == FrameType::Stderr) {
          if (result->output.size() < kProbeOutput) result->output += f.payload.substr(0, kProbeOutput - result->output.size());
        } else if (f.type == FrameType::ExecExit) {
          if (auto ex = decode_exec_exit(f.payload)) {
            result->exit_code = ex->exit_code;
            result->timed_out = ex->timed_out;
          }
        }
      },
      [result, done] { done(std::move(*result)); });
}

}  // namespace berth::engine
