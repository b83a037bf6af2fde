#include "engine/frame_loop.hpp"

#include <poll.h>
#include <algorithm>
#include <sys/eventfd.h>
#include <unistd.h>

namespace berth::engine {

FrameLoop::FrameLoop() : wake_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  thread_ = std::thread([this] { run(); });
}

FrameLoop::~FrameLoop() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  wake();
  thread_.join();
}

void FrameLoop::wake() {
  uint64_t one = 1;
  (void)!write(wake_.get(), &one, sizeof one);
}

void FrameLoop::watch(UniqueFd conn, OnFrame on_frame, OnClose on_close) {
  {
    std::lock_guard lk(mu_);
    added_.push_back(Conn{std::move(conn), {}, std::move(on_frame), std::move(on_close)});
  }
  wake();
}

uint64_t FrameLoop::at(Clock::time_point when, OnTimer fn) {
  uint64_t id;
  {
    std::lock_guard lk(mu_);
    id = next_timer_++;
    timers_.emplace(when, std::pair{id, std::move(fn)});
  }
  wake();
  return id;
}

void FrameLoop::cancel(uint64_t timer) {
  std::lock_guard lk(mu_);
  std::erase_if(timers_, [&](const auto& t) { return t.second.first == timer; });
}

void FrameLoop::on_readable(int fd, std::function<void()> fn) {
  {
    std::lock_guard lk(mu_);
    readers_.emplace_back(fd, std::move(fn));
  }
  wake();
}

void FrameLoop::read_conn(Conn& c) {
  char buf[32 * 1024];
  ssize_t n = read(c.fd.get(), buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n > 0) {
    c.dec.feed(std::string_view(buf, static_cast<size_t>(n)));
    while (true) {
      auto f = c.dec.next();
      if (!f) break;  // garbage: treated as the end
      if (!*f) return;
      c.on_frame(**f);
    }
  }
  c.fd.reset();
  if (c.on_close) c.on_close();
}

void FrameLoop::run() {
  while (true) {
    std::vector<std::pair<int, std::function<void()>>> readers;
    int timeout = -1;
    {
      std::lock_guard lk(mu_);
      if (stop_) return;
      for (auto& c : added_) conns_.push_back(std::move(c));
      added_.clear();
      readers = readers_;
      if (!timers_.empty()) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(timers_.begin()->first - Clock::now()).count();
        timeout = static_cast<int>(std::clamp<long long>(left, 0, 60'000));
      }
    }
    std::vector<pollfd> fds;
    fds.push_back({wake_.get(), POLLIN, 0});
    for (auto& r : readers) fds.push_back({r.first, POLLIN, 0});
    for (auto& c : conns_) fds.push_back({c.fd.get(), POLLIN, 0});
    if (poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) return;
    if (fds[0].revents & POLLIN) {
      uint64_t v;
      (void)!read(wake_.get(), &v, sizeof v);
    }
    for (size_t i = 0; i < readers.size(); ++i)
      if (fds[1 + i].revents) readers[i].second();
    size_t base = 1 + readers.size(), n = conns_.size();
    for (size_t i = 0; i < n; ++i)
      if (fds[base + i].revents) read_conn(conns_[i]);
    std::erase_if(conns_, [](const Conn& c) { return !c.fd; });
    // Due timers, each taken out under the lock and run without it.
    while (true) {
      OnTimer fn;
      {
        std::lock_guard lk(mu_);
        if (stop_ || timers_.empty() || timers_.begin()->first > Clock::now()) break;
        fn = std::move(timers_.begin()->second.second);
        timers_.erase(timers_.begin());
      }
      fn();
    }
  }
}

}  // namespace berth::engine
