// The engine as berthd runs it: its configuration and the services behind the API (images,
// container metadata, events), opened on the data root, which one daemon holds at a time.
#pragma once
#include <chrono>
#include <memory>
#include <string>

#include "common/error.hpp"
#include "common/fd.hpp"
#include "engine/build_cache.hpp"
#include "engine/container_service.hpp"
#include "engine/container_store.hpp"
#include "engine/daemon_config.hpp"
#include "engine/events.hpp"
#include "engine/exec_service.hpp"
#include "engine/frame_loop.hpp"
#include "engine/health_monitor.hpp"
#include "engine/host_info.hpp"
#include "engine/network_service.hpp"
#include "engine/volume_service.hpp"
#include "image/image_service.hpp"

namespace berth::engine {

class Daemon {
 public:
  // Creates the data and exec roots, takes the data root's lock (a second daemon on the same
  // root is refused), opens the image service and the container database.
  static Result<std::unique_ptr<Daemon>> open(DaemonConfig config);
  ~Daemon();

  const DaemonConfig& config() const { return config_; }
  image::ImageService& images() { return *images_; }
  ContainerStore& containers() { return *containers_; }
  BuildCache& build_cache() { return *build_cache_; }
  EventBus& events() { return events_; }
  ContainerService& container_service() { return *service_; }
  NetworkService& networks() { return *networks_; }
  VolumeService& volumes() { return *volumes_; }
  ExecService& exec_service() { return *exec_; }
  HealthMonitor& health() { return *health_; }
  const HostInfo& host() const { return host_; }
  const std::string& id() const { return id_; }  // stable across restarts (engine-id file)
  std::chrono::system_clock::time_point started() const { return started_; }
  // Publishes an image event with dockerd's attributes (name = the reference acted on).
  void image_event(const std::string& action, const std::string& id, const std::string& name);
  // container_id: the connected or disconnected container's (connect/disconnect events).
  void network_event(const std::string& action, const NetworkRecord& n, const std::string& container_id = "");
  // create, destroy, mount, unmount (container_id for the last two).
  void volume_event(const std::string& action, const VolumeRecord& v, const std::string& container_id = "");

 private:
  Daemon() = default;
  DaemonConfig config_;
  UniqueFd lock_;
  std::unique_ptr<image::ImageService> images_;
  std::unique_ptr<ContainerStore> containers_;
  std::unique_ptr<BuildCache> build_cache_;
  std::unique_ptr<NetworkService> networks_;
  std::unique_ptr<VolumeService> volumes_;
  EventBus events_;
  HostInfo host_;
  std::string id_;
  std::chrono::system_clock::time_point started_;
  std::unique_ptr<ContainerService> service_;  // it uses the members above until it stops
  std::unique_ptr<ExecService> exec_;          // after it: execs run in its containers
  std::unique_ptr<HealthMonitor> health_;
  std::unique_ptr<FrameLoop> loop_;  // last, stopped first: its callbacks use exec_ and health_
};

}  // namespace berth::engine
