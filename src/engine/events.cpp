#include "engine/events.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <ctime>

namespace berth::engine {

namespace {
constexpr size_t kQueueLimit = 4096;  // a subscriber that stops reading loses events, not memory
}

const std::set<std::string>& event_filter_keys() {
  static const std::set<std::string> keys = {"container", "event", "image", "label", "network", "type",
                                             "volume",    "daemon", "plugin", "scope", "node", "service",
                                             "secret",    "config"};
  return keys;
}

bool event_matches(const Filters& f, const Event& e) {
  if (!f.match("type", e.type) || !f.match("scope", e.scope)) return false;
  // "exec_start: sh -c x" matches "exec_start": the action's first word.
  if (f.has("event") && !f.match("event", e.action) && !f.match("event", e.action.substr(0, e.action.find(':'))))
    return false;
  auto attr = [&](const char* k) {
    auto it = e.attributes.find(k);
    return it == e.attributes.end() ? std::string() : it->second;
  };
  auto any_of = [&](const char* key, std::initializer_list<std::string> candidates) {
    if (!f.has(key)) return true;
    for (auto& c : candidates)
      if (!c.empty() && f.get(key).count(c)) return true;
    return false;
  };
  if (f.has("container") && (e.type != "container" || !any_of("container", {e.actor_id, attr("name")})))
    return false;
  if (f.has("image")) {
    // Image events name the image in the actor; container events in the "image" attribute.
    std::string name = e.type == "image" ? attr("name") : attr("image");
    auto colon = name.rfind(':'), slash = name.rfind('/');
    bool tagged = colon != std::string::npos && (slash == std::string::npos || colon > slash);
    std::string bare = tagged ? name.substr(0, colon) : name;
    if (!any_of("image", {e.actor_id, name, bare})) return false;
  }
  if (f.has("network") && (e.type != "network" || !any_of("network", {e.actor_id, attr("name")}))) return false;
  if (f.has("volume") && (e.type != "volume" || !any_of("volume", {e.actor_id}))) return false;
  if (f.has("daemon") && (e.type != "daemon" || !any_of("daemon", {e.actor_id, attr("name")}))) return false;
  return f.match_labels("label", e.attributes);
}

int64_t now_nano() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<int64_t> parse_event_time(std::string_view s) {
  auto bad = [&] { return fail(ErrorKind::Invalid, "invalid time \"" + std::string(s) + "\""); };
  if (s.empty()) return bad();
  if (std::isdigit(static_cast<unsigned char>(s[0])) && s.find_first_not_of("0123456789.") == std::string_view::npos) {
    auto dot = s.find('.');
    int64_t sec = 0, nano = 0;
    auto secs = s.substr(0, dot);
    if (std::from_chars(secs.data(), secs.data() + secs.size(), sec).ec != std::errc()) return bad();
    if (dot != std::string_view::npos) {
      std::string frac(s.substr(dot + 1));
      if (frac.size() > 9 || frac.find('.') != std::string::npos) return bad();
      frac.resize(9, '0');
      std::from_chars(frac.data(), frac.data() + 9, nano);
    }
    return sec * 1000000000 + nano;
  }
  // RFC 3339: date, 'T', time, optional fraction, zone.
  std::tm tm{};
  std::string str(s);
  const char* p = strptime(str.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!p) return bad();
  int64_t nano = 0;
  if (*p == '.') {
    std::string frac;
    for (++p; std::isdigit(static_cast<unsigned char>(*p)); ++p) frac += *p;
    if (frac.size() > 9) frac.resize(9);
    frac.resize(9, '0');
    std::from_chars(frac.data(), frac.data() + 9, nano);
  }
  int64_t offset = 0;
  if (*p == 'Z') {
    ++p;
  } else if (*p == '+' || *p == '-') {
    int h = 0, m = 0;
    if (std::sscanf(p + 1, "%2d:%2d", &h, &m) != 2) return bad();
    offset = (h * 3600 + m * 60) * (*p == '+' ? 1 : -1);
    p += 6;
  } else {
    return bad();
  }
  if (*p) return bad();
  return (static_cast<int64_t>(timegm(&tm)) - offset) * 1000000000 + nano;
}

EventBus::Subscription::Subscription(EventBus* bus) : bus_(bus), wake_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

EventBus::Subscription::~Subscription() { bus_->unsubscribe(this); }

std::vector<Event> EventBus::Subscription::take() {
  uint64_t n;
  (void)!read(wake_.get(), &n, sizeof n);
  std::lock_guard lk(mu_);
  std::vector<Event> out(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
  queue_.clear();
  return out;
}

EventBus::EventBus(size_t history) : history_limit_(history) {}

void EventBus::publish(Event e) {
  if (e.time_nano == 0) e.time_nano = now_nano();
  std::lock_guard lk(mu_);
  history_.push_back(e);
  if (history_.size() > history_limit_) history_.pop_front();
  for (auto* s : subs_) {
    std::lock_guard sl(s->mu_);
    if (s->queue_.size() >= kQueueLimit) {
      ++s->dropped_;
      continue;
    }
    s->queue_.push_back(e);
    uint64_t one = 1;
    (void)!write(s->wake_.get(), &one, sizeof one);
  }
}

std::unique_ptr<EventBus::Subscription> EventBus::subscribe(std::optional<int64_t> since, std::vector<Event>& past) {
  std::unique_ptr<Subscription> s(new Subscription(this));
  std::lock_guard lk(mu_);
  if (since)
    for (const auto& e : history_)
      if (e.time_nano >= *since) past.push_back(e);
  subs_.push_back(s.get());
  return s;
}

size_t EventBus::subscribers() {
  std::lock_guard lk(mu_);
  return subs_.size();
}

void EventBus::unsubscribe(Subscription* s) {
  std::lock_guard lk(mu_);
  subs_.erase(std::remove(subs_.begin(), subs_.end(), s), subs_.end());
}

}  // namespace berth::engine
