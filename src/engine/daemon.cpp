#include "engine/daemon.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <set>

#include "common/fs.hpp"
#include "engine/build_leftovers.hpp"
#include "engine/container_id.hpp"
#include "runtime/cgroup/cgroup.hpp"

namespace berth::engine {

namespace {

Result<std::string> engine_id(const std::string& data_root) {
  std::string path = path_join(data_root, "engine-id");
  if (auto text = read_file(path); text && !trim(*text).empty()) return trim(*text);
  std::string id = generate_id();
  // dockerd's engine ID looks like a UUID; any stable string serves the clients.
  id = id.substr(0, 8) + "-" + id.substr(8, 4) + "-" + id.substr(12, 4) + "-" + id.substr(16, 4) + "-" + id.substr(20, 12);
  BERTH_CHECK(write_file_atomic(path, id + "\n", 0600), "write engine ID");
  return id;
}

// The containers' cgroups are /berth/<id> (oci_spec_builder); the shared parent goes when the
// last of them has: rmdir leaves it where any container (of this or another berthd) still is.
void remove_idle_cgroup_parent() {
  auto roots = runtime::probe_cgroup_roots();
  if (!roots) return;
  for (const auto& h : roots->v1) (void)rmdir(path_join(h.mountpoint, "berth").c_str());
  if (!roots->unified.empty()) (void)rmdir(path_join(roots->unified, "berth").c_str());
}

}  // namespace

// Bridges no running container needs go with berthd (restore makes them again). The
// services stop first, in the members' own teardown order, so nothing changes what runs.
Daemon::~Daemon() {
  loop_.reset();
  health_.reset();
  exec_.reset();
  service_.reset();
  if (!networks_ || !containers_) return;
  std::set<std::string> running;
  if (auto all = containers_->list())
    for (auto& c : *all)
      if (is_live(c.state)) running.insert(c.id);
  networks_->shutdown(running);
  if (running.empty()) remove_idle_cgroup_parent();
}

Result<std::unique_ptr<Daemon>> Daemon::open(DaemonConfig config) {
  std::unique_ptr<Daemon> d(new Daemon());
  d->config_ = std::move(config);
  const auto& c = d->config_;
  BERTH_CHECK(mkdir_p(c.data_root, 0711), "create data root");
  BERTH_CHECK(mkdir_p(c.exec_root, 0700), "create exec root");
  std::string lock_path = path_join(c.data_root, "berthd.lock");
  d->lock_ = UniqueFd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!d->lock_) return fail_sys("open " + lock_path);
  if (flock(d->lock_.get(), LOCK_EX | LOCK_NB) != 0)
    return fail(ErrorKind::Conflict, "data root " + c.data_root + " is in use by another berthd");
  // userns-remap: "default" may create dockremap and its ranges, as dockerd does at its start.
  d->config_.remap = BERTH_TRY(resolve_userns_remap(c.userns_remap), "");
  d->images_ = BERTH_TRY(image::ImageService::open(c.data_root), "");
  d->containers_ = BERTH_TRY(ContainerStore::open(path_join(c.data_root, "containers.db")), "");
  d->build_cache_ = BERTH_TRY(BuildCache::open(path_join(c.data_root, "build-cache.db")), "");
  d->id_ = BERTH_TRY(engine_id(c.data_root), "");
  d->volumes_ = BERTH_TRY(VolumeService::open(c.data_root), "");
  NetworkServiceOptions nopts;
  nopts.data_root = c.data_root;
  nopts.exec_root = c.exec_root;
  nopts.bip = c.bip;
  nopts.mtu = c.mtu;
  nopts.resolv_conf = c.resolv_conf;
  nopts.default_bridge = c.bridge;
  if (!c.default_address_pools.empty()) nopts.pools = c.default_address_pools;
  d->networks_ = BERTH_TRY(NetworkService::open(nopts), "");
  // Networks first: the bridges are up and a crash's leftovers gone before containers restart.
  // Containers that died while berthd was down release theirs in the service's restore.
  std::set<std::string> running;
  for (auto& ct : BERTH_TRY(d->containers_->list(), ""))
    if (is_live(ct.state)) running.insert(ct.id);
  BERTH_CHECK(d->networks_->restore(running), "restore networks");
  d->service_ = std::make_unique<ContainerService>(d->config_, *d->images_, *d->containers_, d->events_);
  d->service_->set_networks(d->networks_.get());
  d->service_->set_volumes(d->volumes_.get());
  BERTH_CHECK(d->service_->restore(), "restore containers");
  remove_build_leftovers(*d->service_, *d->containers_, *d->images_);
  d->loop_ = std::make_unique<FrameLoop>();
  d->exec_ = std::make_unique<ExecService>(*d->service_, *d->loop_);
  d->health_ = std::make_unique<HealthMonitor>(*d->containers_, *d->service_, *d->exec_, d->events_, *d->loop_);
  d->host_ = host_info();
  d->started_ = std::chrono::system_clock::now();
  return d;
}

void Daemon::network_event(const std::string& action, const NetworkRecord& n, const std::string& container_id) {
  Event e;
  e.type = "network";
  e.action = action;
  e.actor_id = n.id;
  e.attributes = {{"name", n.name}, {"type", n.driver}};
  if (!container_id.empty()) e.attributes["container"] = container_id;
  events_.publish(std::move(e));
}

void Daemon::volume_event(const std::string& action, const VolumeRecord& v, const std::string& container_id) {
  service_->volume_event(v, action, container_id);
}

void Daemon::image_event(const std::string& action, const std::string& id, const std::string& name) {
  Event e;
  e.type = "image";
  e.action = action;
  e.actor_id = id;
  if (!name.empty()) e.attributes["name"] = name;
  events_.publish(std::move(e));
}

}  // namespace berth::engine
