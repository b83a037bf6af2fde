// The payloads of the shim protocol's exec frames (attach_protocol.hpp): what berthd asks the
// shim to run, and how it ended.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "common/error.hpp"

namespace berth::engine {

struct ExecRequest {
  nlohmann::json process;     // config.json's "process" object, complete
  bool open_stdin = false;    // otherwise the process reads /dev/null
  int64_t timeout_ms = 0;     // > 0: SIGKILL when still running after this long (health probes)
};

struct ExecExit {
  int exit_code = -1;
  bool timed_out = false;
};

std::string encode_exec_request(const ExecRequest& r);
Result<ExecRequest> decode_exec_request(std::string_view payload);
// ExecResize's payload: the exec (by its pid) and its new terminal size.
struct ExecResize {
  int pid = 0;
  uint32_t rows = 0, cols = 0;
};

std::string encode_exec_exit(const ExecExit& e);
std::string encode_exec_resize(const ExecResize& r);
Result<ExecResize> decode_exec_resize(std::string_view payload);
Result<ExecExit> decode_exec_exit(std::string_view payload);

}  // namespace berth::engine
