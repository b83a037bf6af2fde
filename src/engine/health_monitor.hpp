// berthd's health checks: for every running container with a Healthcheck, a probe (an exec in
// its shim, killed at its timeout) every interval, on the one FrameLoop thread: no thread per
// container. Follows starts and exits through the event bus; the state lives in berthd's memory
// and shows in inspect (State.Health), ps ("(healthy)") and health_status events.
#pragma once
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "engine/container_service.hpp"
#include "engine/container_store.hpp"
#include "engine/events.hpp"
#include "engine/exec_service.hpp"
#include "engine/frame_loop.hpp"
#include "engine/health.hpp"

namespace berth::engine {

class HealthMonitor {
 public:
  // Starts monitoring the containers already running (berthd restarted under them).
  HealthMonitor(ContainerStore& store, ContainerService& containers, ExecService& execs, EventBus& events, FrameLoop& loop);
  ~HealthMonitor();
  // nullopt: the container has no health check (or has not run with one).
  std::optional<HealthState> health(const std::string& id);

 private:
  struct Monitor {
    HealthConfig cfg;
    HealthState state;
    uint64_t timer = 0;
    uint64_t generation = 0;  // a new start: probes of the previous run are ignored
    std::chrono::steady_clock::time_point started;
    bool active = false;
  };
  void on_events();
  void begin(const ContainerRecord& c);
  void schedule(const std::string& id, uint64_t generation, std::chrono::milliseconds after);  // mu_ held
  void probe(const std::string& id, uint64_t generation);
  void probed(const std::string& id, uint64_t generation, std::string start, ProbeResult r);

  ContainerService& containers_;
  ExecService& execs_;
  FrameLoop& loop_;
  std::unique_ptr<EventBus::Subscription> sub_;
  std::mutex mu_;
  std::map<std::string, Monitor> monitors_;
  uint64_t next_generation_ = 1;
};

}  // namespace berth::engine
