// Execs (docker exec): records in berthd's memory, as dockerd keeps them (not persisted, gone
// with their container); each runs in the container's shim (the Exec frame), which is its parent
// and reports its exit. Attached execs are relayed by the API; detached ones, and probes, are
// heard on the FrameLoop.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/error.hpp"
#include "common/fd.hpp"
#include "engine/container_service.hpp"
#include "engine/exec_config.hpp"
#include "engine/frame_loop.hpp"

namespace berth::engine {

struct ExecInfo {
  std::string id, container_id;
  ExecConfig config;
  bool running = false;
  std::optional<int> exit_code;
  pid_t pid = 0;
};

// A probe's end: its exit code (-1 when it could not run), output (bounded), whether it timed out.
struct ProbeResult {
  int exit_code = -1;
  bool timed_out = false;
  std::string output;
};

// ExecSync's end (the CRI): the exit code, and the output of each stream (bounded).
struct SyncExecResult {
  int exit_code = -1;
  bool timed_out = false;
  std::string out, err;
};

class ExecService {
 public:
  ExecService(ContainerService& containers, FrameLoop& loop);

  // POST /containers/{id}/exec: dockerd's checks (running, not paused) and its messages.
  Result<std::string> create(std::string_view container_ref, const ExecConfig& c);
  Result<ExecInfo> inspect(const std::string& id);
  // Runs the exec in its container's shim; the connection then carries its output frames and
  // ExecExit. Errors before anything ran are dockerd's (404, 409); a process that could not
  // start is an Invalid error with the runtime's words, its exit code recorded (126, as dockerd).
  Result<UniqueFd> start(const std::string& id);
  // The exec's end as its connection told it (ExecExit's payload; "" when none came).
  void finished(const std::string& id, const std::string& exit_payload);
  // The exec runs on without a client (detached, or its client left): its end is heard here.
  void follow(const std::string& id, UniqueFd conn);
  Result<> resize(const std::string& id, uint32_t rows, uint32_t cols);
  // A health probe: cmd run as an exec (the container's user and env) in the running container,
  // killed after timeout; done is called on the loop thread.
  void probe(const std::string& container_id, const std::vector<std::string>& cmd, std::chrono::milliseconds timeout,
             std::function<void(ProbeResult)> done);
  // Runs cmd as an exec in the running container (its user and env) and waits for its end;
  // the shim kills it after timeout (0: no limit). Output past max_output per stream is
  // dropped (exec_sync.cpp).
  Result<SyncExecResult> run_sync(std::string_view container_ref, const std::vector<std::string>& cmd,
                                  std::chrono::milliseconds timeout, size_t max_output = 16 << 20);

 private:
  // The exec record and its container, checked live (not paused, running) for a start.
  Result<std::pair<ExecInfo, ContainerRecord>> live(const std::string& id, bool for_start);
  // Connects to the container's shim and asks it to run process; returns once it ran.
  Result<std::pair<UniqueFd, pid_t>> run_in_shim(const std::string& container_id, const nlohmann::json& process,
                                                 bool open_stdin, int64_t timeout_ms);
  Result<nlohmann::json> process_for(const ContainerRecord& c, const ExecConfig& cfg);
  void drop_orphans();  // mu_ held: execs whose container is gone

  ContainerService& containers_;
  std::mutex mu_;
  std::map<std::string, ExecInfo> execs_;
  FrameLoop& loop_;
};

}  // namespace berth::engine
