// Single-use tokens for the streaming URLs: a token maps to its request until it is taken (once)
// or its time runs out. Bounded, as the kubelet's (1000 in flight).
#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/error.hpp"
#include "cri/streaming/stream_requests.hpp"

namespace berth::cri::streaming {

class TokenCache {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kMaxInFlight = 1000;

  explicit TokenCache(std::chrono::milliseconds ttl, std::function<Clock::time_point()> now = Clock::now)
      : ttl_(ttl), now_(std::move(now)) {}
  // A fresh random token (URL-safe) for r; Unavailable when kMaxInFlight are pending.
  Result<std::string> insert(StreamRequest r);
  // The request, once: nullopt for an unknown, used or expired token.
  std::optional<StreamRequest> take(const std::string& token);
  size_t size();

 private:
  void prune();  // mu_ held
  std::chrono::milliseconds ttl_;
  std::function<Clock::time_point()> now_;
  std::mutex mu_;
  std::map<std::string, std::pair<Clock::time_point, StreamRequest>> pending_;
};

}  // namespace berth::cri::streaming
