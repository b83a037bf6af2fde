#include "cri/streaming/token_cache.hpp"

#include <sys/random.h>

namespace berth::cri::streaming {

namespace {

// 16 random bytes as 32 lower-case hex digits: unguessable, and safe in a URL path.
Result<std::string> random_token() {
  unsigned char b[16];
  size_t got = 0;
  while (got < sizeof b) {
    ssize_t n = getrandom(b + got, sizeof b - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_sys("getrandom");
    got += static_cast<size_t>(n);
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string t;
  for (unsigned char c : b) {
    t.push_back(hex[c >> 4]);
    t.push_back(hex[c & 15]);
  }
  return t;
}

}  // namespace

void TokenCache::prune() {
  auto now = now_();
  for (auto it = pending_.begin(); it != pending_.end();)
    it = it->second.first <= now ? pending_.erase(it) : std::next(it);
}

Result<std::string> TokenCache::insert(StreamRequest r) {
  auto token = BERTH_TRY(random_token(), "streaming token");
  std::lock_guard lk(mu_);
  prune();
  if (pending_.size() >= kMaxInFlight)
    return fail(ErrorKind::Unavailable, "maximum number of in-flight streaming requests exceeded");
  pending_.emplace(token, std::pair{now_() + ttl_, std::move(r)});
  return token;
}

std::optional<StreamRequest> TokenCache::take(const std::string& token) {
  std::lock_guard lk(mu_);
  prune();
  auto it = pending_.find(token);
  if (it == pending_.end()) return std::nullopt;
  auto r = std::move(it->second.second);
  pending_.erase(it);
  return r;
}

size_t TokenCache::size() {
  std::lock_guard lk(mu_);
  prune();
  return pending_.size();
}

}  // namespace berth::cri::streaming
