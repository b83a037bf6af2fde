#include "engine/health_monitor.hpp"

#include "engine/json_log.hpp"

namespace berth::engine {

using nlohmann::json;

namespace {

std::optional<HealthConfig> config_of(const ContainerRecord& c) {
  auto cfg = json::parse(c.config_json, nullptr, false);
  if (!cfg.is_object()) return std::nullopt;
  auto hc = health_config(cfg.value("Healthcheck", json()));
  return hc ? *hc : std::nullopt;
}

}  // namespace

HealthMonitor::HealthMonitor(ContainerStore& store, ContainerService& containers, ExecService& execs, EventBus& events,
                             FrameLoop& loop)
    : containers_(containers), execs_(execs), loop_(loop) {
  std::vector<Event> past;
  sub_ = events.subscribe(std::nullopt, past);
  if (auto all = store.list())
    for (auto& c : *all)
      if (c.state == "running") begin(c);
  loop_.on_readable(sub_->fd(), [this] { on_events(); });
}

HealthMonitor::~HealthMonitor() = default;

std::optional<HealthState> HealthMonitor::health(const std::string& id) {
  std::lock_guard lk(mu_);
  auto it = monitors_.find(id);
  if (it == monitors_.end()) return std::nullopt;
  return it->second.state;
}

void HealthMonitor::on_events() {
  for (auto& e : sub_->take()) {
    if (e.type != "container") continue;
    if (e.action == "start") {
      if (auto c = containers_.find(e.actor_id)) begin(*c);
    } else if (e.action == "die" || e.action == "destroy") {
      std::lock_guard lk(mu_);
      auto it = monitors_.find(e.actor_id);
      if (it == monitors_.end()) continue;
      loop_.cancel(it->second.timer);
      it->second.active = false;
      if (e.action == "destroy") monitors_.erase(it);
    }
  }
}

void HealthMonitor::begin(const ContainerRecord& c) {
  auto cfg = config_of(c);
  if (!cfg) return;
  std::lock_guard lk(mu_);
  auto& m = monitors_[c.id];
  if (m.timer) loop_.cancel(m.timer);
  m = Monitor{};
  m.cfg = *cfg;
  m.generation = next_generation_++;
  m.started = std::chrono::steady_clock::now();
  m.active = true;
  schedule(c.id, m.generation, m.cfg.interval);
}

void HealthMonitor::schedule(const std::string& id, uint64_t generation, std::chrono::milliseconds after) {
  auto& m = monitors_[id];
  m.timer = loop_.at(std::chrono::steady_clock::now() + after, [this, id, generation] { probe(id, generation); });
}

void HealthMonitor::probe(const std::string& id, uint64_t generation) {
  std::vector<std::string> argv;
  std::chrono::milliseconds timeout;
  {
    std::lock_guard lk(mu_);
    auto it = monitors_.find(id);
    if (it == monitors_.end() || !it->second.active || it->second.generation != generation) return;
    it->second.timer = 0;
    argv = it->second.cfg.argv;
    timeout = it->second.cfg.timeout;
  }
  std::string start = rfc3339_now();
  execs_.probe(id, argv, timeout, [this, id, generation, start](ProbeResult r) { probed(id, generation, start, std::move(r)); });
}

void HealthMonitor::probed(const std::string& id, uint64_t generation, std::string start, ProbeResult r) {
  bool changed = false;
  std::string status;
  {
    std::lock_guard lk(mu_);
    auto it = monitors_.find(id);
    if (it == monitors_.end() || !it->second.active || it->second.generation != generation) return;
    auto& m = it->second;
    HealthProbe p{std::move(start), rfc3339_now(), r.exit_code, std::move(r.output)};
    if (r.timed_out) {  // dockerd's record of a probe it had to kill
      p.exit_code = -1;
      p.output = "Health check exceeded timeout (" + go_duration(m.cfg.timeout) + ")";
    }
    bool in_start = std::chrono::steady_clock::now() - m.started < m.cfg.start_period;
    changed = record_probe(m.state, m.cfg, std::move(p), in_start);
    status = m.state.status;
    schedule(id, generation, m.cfg.interval);
  }
  if (changed)
    if (auto c = containers_.find(id)) containers_.event(*c, "health_status: " + status);
}

}  // namespace berth::engine
