// Exec (docker exec): create (POST /containers/{name}/exec), start (POST /exec/{id}/start: the
// hijacked connection relayed to the shim as attach does, or detached), inspect, resize.
#include <sys/socket.h>

#include <nlohmann/json.hpp>

#include "api/attach_session.hpp"
#include "api/response.hpp"
#include "api/routes.hpp"
#include "common/log.hpp"
#include "engine/attach_protocol.hpp"
#include "engine/exec_config.hpp"

namespace berth::api {

using nlohmann::json;

namespace {

Result<> create_exec(Exchange& ex, engine::Daemon& d) {
  auto body = BERTH_TRY(read_json_body(ex, kJsonBodyLimit), "");
  auto cfg = BERTH_TRY(engine::parse_exec_config(body), "");
  if (!cfg.detach_keys.empty() && !engine::parse_detach_keys(cfg.detach_keys))
    return fail(ErrorKind::Invalid, "Invalid detach keys (" + cfg.detach_keys + ") provided");
  auto id = BERTH_TRY(d.exec_service().create(ex.request().param("name"), cfg), "");
  return reply_json(ex, 201, json{{"Id", id}});
}

json inspect_json(const engine::ExecInfo& e) {
  const auto& c = e.config;
  json pc = {{"tty", c.tty},
             {"entrypoint", c.cmd.empty() ? "" : c.cmd[0]},
             {"arguments", std::vector<std::string>(c.cmd.begin() + (c.cmd.empty() ? 0 : 1), c.cmd.end())}};
  if (c.privileged) pc["privileged"] = true;
  if (!c.user.empty()) pc["user"] = c.user;
  return {{"ID", e.id},
          {"Running", e.running},
          {"ExitCode", e.exit_code ? json(*e.exit_code) : json(nullptr)},
          {"ProcessConfig", pc},
          {"OpenStdin", c.attach_stdin},
          {"OpenStderr", c.attach_stderr},
          {"OpenStdout", c.attach_stdout},
          {"CanRemove", false},
          {"ContainerID", e.container_id},
          {"DetachKeys", c.detach_keys},
          {"Pid", e.pid}};
}

Result<> start(Exchange& ex, engine::Daemon& d) {
  auto body = BERTH_TRY(read_json_body(ex, kJsonBodyLimit), "");
  if (!body.is_null() && !body.is_object()) return fail(ErrorKind::Invalid, "exec start: expected a JSON object");
  std::string id = ex.request().param("id");
  auto& svc = d.exec_service();
  auto info = BERTH_TRY(svc.inspect(id), "");
  auto flag = [&](const char* k, bool def) {
    return body.is_object() && body.contains(k) && body[k].is_boolean() ? body[k].get<bool>() : def;
  };
  if (flag("Detach", false)) {
    auto conn = BERTH_TRY(svc.start(id), "");
    svc.follow(id, std::move(conn));
    return ex.reply(200, "application/json", "");
  }
  bool tty = flag("Tty", info.config.tty);
  auto conn = BERTH_TRY(ex.hijack(tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream"), "");
  int fd = conn.fd.get();
  StreamFormat f;
  f.tty = tty;
  f.stdout_ = info.config.attach_stdout;
  f.stderr_ = info.config.attach_stderr;
  auto shim = svc.start(id);
  if (!shim) {
    // Past the hijack the error can only go into the stream: on stdout, as dockerd writes it.
    StreamFormat out = f;
    out.stdout_ = true;
    send_all(fd, encode(engine::LogEntry{"stdout", shim.error().what() + "\r\n", ""}, out));
    shutdown(fd, SHUT_RDWR);
    return {};
  }
  std::string keys_text = info.config.detach_keys.empty() ? engine::kDefaultDetachKeys : info.config.detach_keys;
  auto keys = engine::parse_detach_keys(keys_text);
  // stdin_once: the client's EOF closes the exec's stdin and its output streams on to the end.
  AttachSession session(fd, f, info.config.attach_stdin, true, keys ? *keys : std::string());
  session.early_input(conn.pending);
  bool exited = false;
  session.on_exec_exit([&](const std::string& payload) {
    exited = true;
    svc.finished(id, payload);
  });
  session.run(std::move(*shim));
  if (exited) return {};
  if (auto rest = session.take_shim())
    svc.follow(id, std::move(rest));  // the client left (detach keys): the exec runs on
  else
    svc.finished(id, "");  // the shim went without a report: its container is gone
  return {};
}

Result<> resize_exec(Exchange& ex, engine::Daemon& d) {
  auto& req = ex.request();
  auto [h, w] = BERTH_TRY(parse_terminal_size(req), "");
  BERTH_CHECK(d.exec_service().resize(req.param("id"), h, w), "");
  return ex.reply(200, "text/plain", "");
}

}  // namespace

void add_exec_routes(Router& r, engine::Daemon& d) {
  r.add("POST", "/containers/{name}/exec", [&d](Exchange& ex) { return create_exec(ex, d); });
  r.add("POST", "/exec/{id}/start", [&d](Exchange& ex) { return start(ex, d); });
  r.add("POST", "/exec/{id}/resize", [&d](Exchange& ex) { return resize_exec(ex, d); });
  r.add("GET", "/exec/{id}/json", [&d](Exchange& ex) -> Result<> {
    auto e = BERTH_TRY(d.exec_service().inspect(ex.request().param("id")), "");
    return reply_json(ex, 200, inspect_json(e));
  });
}

}  // namespace berth::api
