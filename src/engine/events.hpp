// The daemon's event bus: services publish what happened (image pulled, tagged, deleted;
// later containers, networks, volumes), `events` subscribers receive it. A bounded history
// serves `since`; a subscriber is woken through an eventfd so a stream sleeps without polling.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/fd.hpp"
#include "engine/filters.hpp"

namespace berth::engine {

struct Event {
  std::string type;    // "image", "container", "network", "volume", "daemon"
  std::string action;  // "pull", "tag", "untag", "delete", "import", "load", "save", "push", ...
  std::string actor_id;
  std::map<std::string, std::string> attributes;  // "name", "image", labels ...
  std::string scope = "local";
  int64_t time_nano = 0;  // set by publish when 0
};

// The filter keys dockerd's events endpoint accepts.
const std::set<std::string>& event_filter_keys();
// dockerd's matching: type, event (action), image, container, label, network, volume, daemon, scope.
bool event_matches(const Filters& f, const Event& e);

// "1700000000", "1700000000.5", "1700000000.000000001" (what the docker client sends), or
// RFC 3339 ("2026-01-02T15:04:05Z", "...05.123+01:00") -> nanoseconds since the epoch.
Result<int64_t> parse_event_time(std::string_view s);
int64_t now_nano();

class EventBus {
 public:
  class Subscription {
   public:
    ~Subscription();
    int fd() const { return wake_.get(); }  // readable while events are queued
    std::vector<Event> take();              // drains the queue

   private:
    friend class EventBus;
    explicit Subscription(EventBus* bus);
    EventBus* bus_;
    UniqueFd wake_;
    std::mutex mu_;
    std::deque<Event> queue_;
    size_t dropped_ = 0;
  };

  explicit EventBus(size_t history = 1024);
  void publish(Event e);
  // Past events with time >= since (when given) and the live subscription, taken atomically:
  // nothing published in between is lost or seen twice.
  std::unique_ptr<Subscription> subscribe(std::optional<int64_t> since, std::vector<Event>& past);
  size_t subscribers();  // `docker info`'s NEventsListener

 private:
  void unsubscribe(Subscription* s);
  std::mutex mu_;
  size_t history_limit_;
  std::deque<Event> history_;
  std::vector<Subscription*> subs_;
};

}  // namespace berth::engine
