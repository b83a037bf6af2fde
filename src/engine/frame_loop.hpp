// One thread in berthd that listens to shim connections it does not otherwise wait on (detached
// execs, health probes) and runs timers (health check intervals): no thread per exec or per
// container, no polling. Callbacks run on the loop's thread, one at a time; they must not block.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "common/fd.hpp"
#include "engine/attach_protocol.hpp"

namespace berth::engine {

class FrameLoop {
 public:
  using Clock = std::chrono::steady_clock;
  using OnFrame = std::function<void(const Frame&)>;
  using OnClose = std::function<void()>;
  using OnTimer = std::function<void()>;

  FrameLoop();
  ~FrameLoop();  // stops the thread; callbacks not yet run are dropped

  // Reads frames from conn until it closes (or sends garbage), then calls on_close. Thread-safe.
  void watch(UniqueFd conn, OnFrame on_frame, OnClose on_close);
  // Calls fn once at when. Thread-safe; returns an id for cancel().
  uint64_t at(Clock::time_point when, OnTimer fn);
  void cancel(uint64_t timer);
  // Calls fn whenever fd is readable (fn must drain it); fd stays the caller's. Thread-safe.
  void on_readable(int fd, std::function<void()> fn);

 private:
  struct Conn {
    UniqueFd fd;
    FrameDecoder dec;
    OnFrame on_frame;
    OnClose on_close;
  };
  void run();
  void wake();
  void read_conn(Conn& c);

  std::mutex mu_;
  std::vector<Conn> added_;                                         // under mu_
  std::multimap<Clock::time_point, std::pair<uint64_t, OnTimer>> timers_;  // under mu_
  std::vector<std::pair<int, std::function<void()>>> readers_;      // under mu_
  uint64_t next_timer_ = 1;
  bool stop_ = false;
  UniqueFd wake_;
  std::vector<Conn> conns_;  // the loop thread's
  std::thread thread_;
};

}  // namespace berth::engine
