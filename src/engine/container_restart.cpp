// Restart policies in the container service: the decision after each exit (restart_policy.hpp),
// the back-off timer (one deadline map that the monitor thread's epoll_wait sleeps on: no
// thread and no sleep per container), the user's stop/kill that ends a loop (dockerd's
// HasBeenManuallyStopped and canceled restart manager), containers coming back when berthd
// starts, and `docker update --restart`.
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

#include "common/json_util.hpp"
#include "common/log.hpp"
#include "engine/container_service.hpp"
#include "engine/events.hpp"

namespace berth::engine {

using nlohmann::json;
using namespace std::chrono;

namespace {

json host_config_of(const ContainerRecord& c) {
  auto j = json::parse(c.host_config_json, nullptr, false);
  return j.is_object() ? j : json::object();
}

RestartPolicy policy_of(const ContainerRecord& c) {
  auto hc = host_config_of(c);
  auto p = parse_restart_policy(hc.contains("RestartPolicy") ? hc["RestartPolicy"] : json());
  return p ? *p : RestartPolicy{};
}

milliseconds ran_for(const ContainerRecord& c) {
  auto started = parse_event_time(c.started);
  if (!started || *started <= 0) return milliseconds(0);
  return duration_cast<milliseconds>(nanoseconds(std::max<int64_t>(0, now_nano() - *started)));
}

}  // namespace

std::optional<milliseconds> ContainerService::restart_after_exit(ContainerRecord& c, int exit_code) {
  if (restart_canceled_.contains(c.id)) return std::nullopt;
  auto it = backoff_.try_emplace(c.id, c.restart_count).first;
  auto delay = it->second.next(policy_of(c), ExitFacts{exit_code, c.manually_stopped, ran_for(c)});
  if (delay) c.restart_count = it->second.restart_count();
  return delay;
}

void ContainerService::schedule_restart(const std::string& id, milliseconds delay) {
  std::lock_guard lk(watch_mu_);
  restart_due_[id] = steady_clock::now() + delay;
  uint64_t one = 1;
  (void)!write(wake_.get(), &one, sizeof one);
}

int ContainerService::next_restart_timeout_ms() const {
  if (restart_due_.empty()) return -1;
  auto next = std::min_element(restart_due_.begin(), restart_due_.end(),
                               [](auto& a, auto& b) { return a.second < b.second; })->second;
  auto left = duration_cast<milliseconds>(next - steady_clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(left + 1, 0, 60000));  // +1: wake after, not before
}

std::vector<std::string> ContainerService::take_due_restarts() {
  std::vector<std::string> due;
  auto now = steady_clock::now();
  for (auto it = restart_due_.begin(); it != restart_due_.end();) {
    if (it->second <= now) {
      due.push_back(it->first);
      it = restart_due_.erase(it);
    } else {
      ++it;
    }
  }
  return due;
}

void ContainerService::restart_due(const std::string& id) {
  std::unique_lock lk(mu_);
  auto c = store_.get(id);
  if (!c || c->state != "restarting" || starting_.contains(id)) return;  // stopped or removed meanwhile
  if (auto r = start_locked(lk, *c); !r) {
    log::error("restart container " + id + ": " + r.error().what());
    auto now = store_.get(id);
    if (now && now->state == "restarting") {
      now->state = "exited";
      now->error = r.error().what();
      (void)store_.update_state(*now);
    }
    notify_changed();
  }
}

void ContainerService::stop_restart_loop(ContainerRecord& c, bool cancel) {
  c.manually_stopped = true;
  if (cancel) restart_canceled_.insert(c.id);
  if (c.state == "restarting") {
    {
      std::lock_guard wl(watch_mu_);
      restart_due_.erase(c.id);
    }
    c.state = "exited";
    notify_changed();
  }
  if (auto u = store_.update_state(c); !u) log::error("container " + c.id + ": " + u.error().what());
}

void ContainerService::reset_restart_state(ContainerRecord& c) {
  restart_canceled_.erase(c.id);
  backoff_.erase(c.id);
  {
    std::lock_guard wl(watch_mu_);
    restart_due_.erase(c.id);
  }
  c.restart_count = 0;
  c.manually_stopped = false;
}

void ContainerService::restart_on_boot() {
  std::unique_lock lk(mu_);
  auto all = store_.list();
  if (!all) return log::error("restart containers: " + all.error().what());
  for (auto& c : *all) {
    bool pending;
    {
      std::lock_guard wl(watch_mu_);
      pending = restart_due_.contains(c.id);
    }
    if (pending || is_live(c.state) || c.started.empty()) continue;
    bool wanted = c.state == "restarting";  // its back-off was running when berthd went down
    if (c.state == "exited") {
      // dockerd's ShouldRestart with a fresh back-off: always comes back even after a user's
      // stop, unless-stopped only when it was not stopped by the user.
      RestartBackoff fresh(c.restart_count);
      auto finished = parse_event_time(c.finished), started = parse_event_time(c.started);
      milliseconds ran = finished && started ? duration_cast<milliseconds>(nanoseconds(*finished - *started)) : milliseconds(0);
      wanted = fresh.next(policy_of(c), ExitFacts{c.exit_code, c.manually_stopped, ran}).has_value();
    }
    if (!wanted) continue;
    reset_restart_state(c);
    c.state = "restarting";
    if (auto u = store_.update_state(c); !u) {
      log::error("container " + c.id + ": " + u.error().what());
      continue;
    }
    schedule_restart(c.id, milliseconds(0));
  }
}

Result<std::vector<std::string>> ContainerService::update(std::string_view ref, const json& body) {
  if (!body.is_object()) return fail(ErrorKind::Invalid, "update: the body must be a JSON object");
  std::unique_lock lk(mu_);
  auto c = BERTH_TRY(store_.find(ref), "");
  auto hc = host_config_of(c);
  auto warnings = BERTH_TRY(update_resources_locked(c, hc, body), "Cannot update container " + c.id);
  if (body.contains("RestartPolicy") && !body["RestartPolicy"].is_null()) {
    auto given = body["RestartPolicy"];
    // An empty name leaves the policy as it is (the docker client always sends the object).
    if (given.is_object() && given.value("Name", json("")).is_string() && given.value("Name", std::string()).empty())
      return warnings;
    auto p = BERTH_TRY(parse_restart_policy(given), "");
    bool autoremove = json_flag(hc, "AutoRemove");
    if (autoremove && !p.none())
      return fail(ErrorKind::Invalid, "Cannot update container " + c.id +
                                          ": Restart policy cannot be updated because AutoRemove is enabled for the container");
    hc["RestartPolicy"] = restart_policy_json(p);
    BERTH_CHECK(store_.update_host_config(c.id, hc.dump()), "update container " + c.id);
    event(c, "update");
  }
  return warnings;
}

}  // namespace berth::engine
