#include "engine/exec_request.hpp"

#include "common/json_util.hpp"
#include "engine/attach_protocol.hpp"

namespace berth::engine {

using nlohmann::json;

std::string encode_exec_request(const ExecRequest& r) {
  return json{{"Process", r.process}, {"OpenStdin", r.open_stdin}, {"TimeoutMs", r.timeout_ms}}.dump();
}

Result<ExecRequest> decode_exec_request(std::string_view payload) {
  auto j = json::parse(payload, nullptr, false);
  if (!j.is_object() || !j.contains("Process") || !j["Process"].is_object())
    return fail(ErrorKind::Invalid, "exec request: expected an object with a Process object");
  ExecRequest r;
  r.process = j["Process"];
  if (auto it = j.find("OpenStdin"); it != j.end() && it->is_boolean()) r.open_stdin = it->get<bool>();
  if (auto it = j.find("TimeoutMs"); it != j.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0)
      return fail(ErrorKind::Invalid, "exec request: TimeoutMs must be a non-negative integer");
    r.timeout_ms = it->get<int64_t>();
  }
  return r;
}

std::string encode_exec_exit(const ExecExit& e) { return json{{"ExitCode", e.exit_code}, {"TimedOut", e.timed_out}}.dump(); }

Result<ExecExit> decode_exec_exit(std::string_view payload) {
  auto j = json::parse(payload, nullptr, false);
  if (!j.is_object() || !j.contains("ExitCode") || !j["ExitCode"].is_number_integer())
    return fail(ErrorKind::Invalid, "exec exit: expected an object with an integer ExitCode");
  return ExecExit{j["ExitCode"].get<int>(), json_flag(j, "TimedOut")};
}

std::string encode_exec_resize(const ExecResize& r) { return json{{"Pid", r.pid}, {"Rows", r.rows}, {"Cols", r.cols}}.dump(); }

Result<ExecResize> decode_exec_resize(std::string_view payload) {
  auto j = json::parse(payload, nullptr, false);
  auto num = [&](const char* k) { return j.is_object() && j.contains(k) && j[k].is_number_unsigned(); };
  if (!num("Pid") || !num("Rows") || !num("Cols") || j["Rows"].get<uint64_t>() > kMaxWinSize || j["Cols"].get<uint64_t>() > kMaxWinSize)
    return fail(ErrorKind::Invalid, "exec resize: expected Pid, Rows and Cols (each 0 to 65535)");
  return ExecResize{j["Pid"].get<int>(), j["Rows"].get<uint32_t>(), j["Cols"].get<uint32_t>()};
}

}  // namespace berth::engine
