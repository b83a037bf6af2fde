#include "cri/cri_stats.hpp"

#include <algorithm>
#include <chrono>
#include <optional>

#include "common/fs.hpp"
#include "engine/daemon.hpp"

namespace berth::cri {

namespace v1 = ::runtime::v1;
using nlohmann::json;

namespace {

int64_t now_nanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

uint64_t u64_at(const json& j, std::initializer_list<const char*> path) {
  const json* at = &j;
  for (auto* k : path) {
    if (!at->is_object() || !at->contains(k)) return 0;
    at = &(*at)[k];
  }
  return at->is_number_unsigned()  ? at->get<uint64_t>()
         : at->is_number_integer() ? static_cast<uint64_t>(at->get<int64_t>())
                                   : 0;
}

// The numbers of one sample the CRI reports, or their sum over a pod's containers.
struct Usage {
  uint64_t cpu_ns = 0, memory = 0, working_set = 0, rss = 0, processes = 0;

  static Usage of(const json& s) {
    Usage u;
    u.cpu_ns = u64_at(s, {"cpu_stats", "cpu_usage", "total_usage"});
    u.memory = u64_at(s, {"memory_stats", "usage"});
    // The working set as the kubelet counts it: usage less the inactive file cache (v1, v2).
    uint64_t inactive = u64_at(s, {"memory_stats", "stats", "total_inactive_file"});
    if (!inactive) inactive = u64_at(s, {"memory_stats", "stats", "inactive_file"});
    u.working_set = u.memory > inactive ? u.memory - inactive : 0;
    u.rss = u64_at(s, {"memory_stats", "stats", "total_rss"});
    if (!u.rss) u.rss = u64_at(s, {"memory_stats", "stats", "anon"});
    u.processes = u64_at(s, {"pids_stats", "current"});
    return u;
  }
  Usage& operator+=(const Usage& o) {
    cpu_ns += o.cpu_ns, memory += o.memory, working_set += o.working_set, rss += o.rss, processes += o.processes;
    return *this;
  }
  void fill(int64_t now, v1::CpuUsage* cpu, v1::MemoryUsage* m) const {
    cpu->set_timestamp(now);
    cpu->mutable_usage_core_nano_seconds()->set_value(cpu_ns);
    m->set_timestamp(now);
    m->mutable_usage_bytes()->set_value(memory);
    m->mutable_working_set_bytes()->set_value(working_set);
    m->mutable_rss_bytes()->set_value(rss);
  }
};

void fill_interface(const std::string& name, const json& counters, v1::NetworkInterfaceUsage* out) {
  out->set_name(name);
  out->mutable_rx_bytes()->set_value(u64_at(counters, {"rx_bytes"}));
  out->mutable_rx_errors()->set_value(u64_at(counters, {"rx_errors"}));
  out->mutable_tx_bytes()->set_value(u64_at(counters, {"tx_bytes"}));
  out->mutable_tx_errors()->set_value(u64_at(counters, {"tx_errors"}));
}

// The pod's interfaces (from its pause's sample, without lo): eth0, the one CNI made, is the
// default; none when the pod is on the node's network.
void fill_network(int64_t now, const json& networks, v1::NetworkUsage* out) {
  out->set_timestamp(now);
  if (!networks.is_object() || networks.empty()) return;
  std::string def = networks.contains("eth0") ? "eth0" : networks.begin().key();
  fill_interface(def, networks[def], out->mutable_default_interface());
  for (auto& [name, counters] : networks.items())
    if (name != def) fill_interface(name, counters, out->add_interfaces());
}

// Fills out; the usage it read, nullopt for a container that is not running.
std::optional<Usage> container_stats(engine::Daemon& d, const CriContainerRecord& r, v1::ContainerStats* out) {
  auto* a = out->mutable_attributes();
  a->set_id(r.c.id);
  *a->mutable_metadata() = r.config.metadata();
  *a->mutable_labels() = r.config.labels();
  *a->mutable_annotations() = r.config.annotations();
  int64_t now = now_nanos();
  auto& svc = d.container_service();
  out->mutable_writable_layer()->set_timestamp(now);
  out->mutable_writable_layer()->mutable_fs_id()->set_mountpoint(path_join(svc.bundle_dir(r.c.id), "rootfs"));
  out->mutable_writable_layer()->mutable_used_bytes()->set_value(
      static_cast<uint64_t>(std::max<int64_t>(0, svc.rw_size(r.c.id))));
  auto s = svc.stats_sample(r.c.id);
  if (!s) return std::nullopt;  // not running: no cgroup to read
  auto u = Usage::of(*s);
  u.fill(now, out->mutable_cpu(), out->mutable_memory());
  return u;
}

}  // namespace

void fill_container_stats(engine::Daemon& d, const CriContainerRecord& r, v1::ContainerStats* out) {
  (void)container_stats(d, r, out);
}

void fill_pod_stats(engine::Daemon& d, const SandboxRecord& sb, const std::vector<CriContainerRecord>& containers,
                    v1::PodSandboxStats* out) {
  auto* a = out->mutable_attributes();
  a->set_id(sb.c.id);
  *a->mutable_metadata() = sb.config.metadata();
  *a->mutable_labels() = sb.config.labels();
  *a->mutable_annotations() = sb.config.annotations();
  auto pause = d.container_service().stats_sample(sb.c.id);
  if (!pause) return;  // stopped: nothing runs to measure
  int64_t now = now_nanos();
  auto* pod = out->mutable_linux();
  Usage total = Usage::of(*pause);
  for (auto& c : containers)
    if (auto u = container_stats(d, c, pod->add_containers())) total += *u;
  total.fill(now, pod->mutable_cpu(), pod->mutable_memory());
  pod->mutable_process()->set_timestamp(now);
  pod->mutable_process()->mutable_process_count()->set_value(total.processes);
  fill_network(now, pause->value("networks", json::object()), pod->mutable_network());
}

}  // namespace berth::cri
