#include "cri/streaming/engine_runtime.hpp"

#include <nlohmann/json.hpp>

#include "common/json_util.hpp"
#include "engine/attach_protocol.hpp"

namespace berth::cri::streaming {

Result<Process> EngineStreamingRuntime::exec(const ExecRequest& r) {
  engine::ExecConfig cfg;
  cfg.cmd = r.cmd;
  cfg.tty = r.tty;
  cfg.attach_stdin = r.stdin;
  cfg.attach_stdout = r.stdout;
  cfg.attach_stderr = r.stderr;
  auto id = BERTH_TRY(execs_.create(r.container_id, cfg), "");
  Process p;
  p.cmd = r.cmd;
  p.start = [this, id] { return execs_.start(id); };
  p.finished = [this, id](const std::string& payload) { execs_.finished(id, payload); };
  p.orphaned = [this, id](UniqueFd conn) { execs_.follow(id, std::move(conn)); };
  return p;
}

Result<Process> EngineStreamingRuntime::attach(const AttachRequest& r) {
  auto c = BERTH_TRY(containers_.find(r.container_id), "");
  std::string state = containers_.state_dir(c.id);
  Process p;
  p.close_stdin_at_eof = json_flag(nlohmann::json::parse(c.config_json, nullptr, false), "StdinOnce");
  p.start = [state]() -> Result<UniqueFd> {
    auto conn = BERTH_TRY(engine::connect_attach_socket(state), "connect to the container's shim");
    if (!send_all(conn.get(), engine::encode_frame(engine::FrameType::Attach))) return fail_sys("send to the container's shim");
    return conn;
  };
  return p;
}

}  // namespace berth::cri::streaming
