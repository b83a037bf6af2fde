// A container's mounts (ContainerService's part): at create, the request's mounts are checked
// before anything exists, then volumes are made (named ones on demand, anonymous ones for
// `-v /path` and VOLUME), filled from the image, counted as used by the container, and put
// in the spec; at removal the container stops using them and `rm -v` removes its anonymous ones.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "common/fs.hpp"
#include "common/log.hpp"
#include "engine/container_service.hpp"
#include "engine/userns_spec.hpp"
#include "engine/volume_copy.hpp"

namespace berth::engine {

using nlohmann::json;

namespace {

constexpr const char* kMountsFile = "mounts.json";

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    auto p = s.find(',', start);
    if (p == std::string::npos) p = s.size();
    if (p > start) out.push_back(s.substr(start, p - start));
    start = p + 1;
  }
  return out;
}

// dockerd's tmpfs defaults (noexec, nosuid, nodev), each dropped when the user asks for its opposite.
json tmpfs_options(const MountPoint& m) {
  auto opts = split_commas(m.tmpfs_data);
  auto given = [&](const char* o) { return std::ranges::find(opts, o) != opts.end(); };
  json out = json::array();
  if (!given("exec")) out.push_back("noexec");
  if (!given("suid")) out.push_back("nosuid");
  if (!given("dev")) out.push_back("nodev");
  for (auto& o : opts) out.push_back(o);
  return out;
}

json spec_mount(const MountPoint& m) {
  if (m.type == "tmpfs")
    return {{"destination", m.destination}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", tmpfs_options(m)}};
  json opts = {"rbind", m.propagation.empty() ? "rprivate" : m.propagation};
  if (!m.rw) opts.push_back("ro");
  return {{"destination", m.destination}, {"type", "bind"}, {"source", m.source}, {"options", opts}};
}

size_t depth(const std::string& p) { return std::ranges::count(p, '/'); }

}  // namespace

Result<std::vector<MountPoint>> ContainerService::plan_mounts(const json& hc, const json& config,
                                                               const json& image_config) {
  std::vector<MountPoint> inherited;
  if (auto vf = hc.value("VolumesFrom", json()); !vf.is_null()) {
    if (!vf.is_array()) return fail(ErrorKind::Invalid, "HostConfig.VolumesFrom: expected an array of strings");
    for (auto& e : vf) {
      if (!e.is_string()) return fail(ErrorKind::Invalid, "HostConfig.VolumesFrom: expected an array of strings");
      auto [ref, mode] = BERTH_TRY(parse_volumes_from(e.get<std::string>()), "");
      auto donor = store_.find(ref);
      // 400, not 404: a client reads a create's 404 as a missing image and pulls.
      if (!donor) return fail(ErrorKind::Invalid, "No such container: " + ref);
      for (auto m : mounts_of(donor->id)) {
        if (m.type == "tmpfs") continue;  // a tmpfs is the donor's own, as in dockerd
        if (mode.starts_with("ro")) m.rw = false;
        else if (mode.starts_with("rw")) m.rw = true;
        inherited.push_back(std::move(m));
      }
    }
  }
  auto mounts = BERTH_TRY(parse_container_mounts(hc, config, image_config, inherited), "");
  for (auto& m : mounts) {
    if (m.type == "volume") {
      if (!m.driver.empty() && m.driver != "local")
        return fail(ErrorKind::NotFound, "error while mounting volume '" + m.name + "': plugin \"" + m.driver + "\" not found");
      if (!m.name.empty()) BERTH_CHECK(validate_volume_name(m.name), "create " + m.name);
      BERTH_CHECK(validate_volume_options(m.volume_opts), "create " + m.name);
      if (!volumes_) return fail(ErrorKind::Unavailable, "volumes are not available here");
    }
    // --mount type=bind refuses a missing source; -v makes it (below, once checks passed).
    if (m.type == "bind" && !m.create_source && !path_exists(m.source))
      return fail(ErrorKind::Invalid, "invalid mount config for type \"bind\": bind source path does not exist: " + m.source);
  }
  return mounts;
}

Result<> ContainerService::make_mounts(const std::string& id, const std::string& rootfs, std::vector<MountPoint>& mounts,
                                       json& spec) {
  std::vector<std::string> made;  // anonymous and new named volumes, gone again on failure
  auto undo = [&] {
    if (!volumes_) return;
    (void)volumes_->remove_user(id);
    for (auto& n : made) (void)volumes_->remove(n);
  };
  for (auto& m : mounts) {
    if (m.type == "volume") {
      VolumeCreate req{m.name, m.driver, m.volume_labels, m.volume_opts};
      bool created = false;
      auto v = volumes_->create(req, &created);
      if (!v) {
        undo();
        return fail(v.error());
      }
      if (created) {
        made.push_back(v->name);
        volume_event(*v, "create");
        // A new volume belongs to the container's root (the copy-up below may say otherwise).
        if (auto root = remapped_root(spec))
          if (chown(volumes_->mountpoint(v->name).c_str(), root->first, root->second) != 0) {
            auto e = sys_error("userns-remap: own volume " + v->name, errno);
            undo();
            return fail(e);
          }
      }
      m.name = v->name;
      m.source = volumes_->mountpoint(v->name);
      if (v->options.count("type") && v->options.at("type") == "none") m.source = v->options.at("device");
      if (auto r = volumes_->add_user(v->name, id); !r) {
        undo();
        return fail(r.error());
      }
      // A tmpfs volume exists only while mounted: it is filled from the image at each start.
      if (!m.nocopy && !VolumeService::is_tmpfs(*v) && m.source == volumes_->mountpoint(v->name))
        if (auto r = copy_up(rootfs, m.destination, m.source); !r) {
          undo();
          return fail(r.error().wrap("create " + v->name));
        }
    } else if (m.type == "bind" && m.create_source && !path_exists(m.source)) {
      if (auto r = mkdir_p(m.source, 0755); !r) {
        undo();
        return fail(r.error().wrap("create mountpoint for " + m.destination));
      }
    }
  }
  // Parents before children; the user's mount replaces a default one at the same place.
  std::vector<MountPoint> ordered = mounts;
  std::ranges::stable_sort(ordered, {}, [](const MountPoint& m) { return depth(m.destination); });
  json& sm = spec["mounts"];
  for (auto& m : ordered) {
    for (auto it = sm.begin(); it != sm.end();)
      it = it->value("destination", "") == m.destination ? sm.erase(it) : it + 1;
    sm.push_back(spec_mount(m));
  }
  json rec = json::array();
  for (auto& m : mounts) rec.push_back(mount_point_to_json(m));
  if (auto r = write_file_atomic(path_join(container_dir(id), kMountsFile), rec.dump(), 0600); !r) {
    undo();
    return fail(r.error().wrap("record mounts"));
  }
  return {};
}

Result<> ContainerService::mount_volumes_for_start(const ContainerRecord& c) {
  if (!volumes_) return {};
  auto rootfs = path_join(bundle_dir(c.id), "rootfs");
  for (auto& m : mounts_of(c.id)) {
    if (m.type != "volume") continue;
    auto v = volumes_->get(m.name);
    if (!v) return fail(v.error().wrap("start container " + c.id));
    bool fresh = false;
    BERTH_CHECK(volumes_->mount_for_use(*v, c.id, &fresh), "start container " + c.id);
    if (fresh) {
      if (auto root = remapped_root_of(c.id))  // a new tmpfs is its root's, as a new volume is
        if (chown(volumes_->mountpoint(v->name).c_str(), root->first, root->second) != 0)
          return fail_sys("start container " + c.id + ": userns-remap: own volume " + v->name);
      if (!m.nocopy) BERTH_CHECK(copy_up(rootfs, m.destination, volumes_->mountpoint(v->name)), "start container " + c.id);
    }
    volume_event(*v, "mount", c.id);
  }
  return {};
}

std::optional<std::pair<uint32_t, uint32_t>> ContainerService::remapped_root_of(const std::string& id) const {
  auto text = read_file(path_join(bundle_dir(id), "config.json"));
  if (!text) return std::nullopt;
  return remapped_root(json::parse(*text, nullptr, false));
}

void ContainerService::unmount_volumes_at_stop(const std::string& id) {
  if (!volumes_) return;
  volumes_->release_mounts_of(id);
  // dockerd's unmount events, one per volume of the container, at each stop.
  for (auto& m : mounts_of(id))
    if (m.type == "volume")
      if (auto v = volumes_->get(m.name)) volume_event(*v, "unmount", id);
}

std::vector<MountPoint> ContainerService::mounts_of(const std::string& id) const {
  std::vector<MountPoint> out;
  auto text = read_file(path_join(container_dir(id), kMountsFile));
  if (!text) return out;
  auto j = json::parse(*text, nullptr, false);
  if (!j.is_array()) return out;
  for (auto& e : j) out.push_back(mount_point_from_json(e));
  return out;
}

void ContainerService::reconcile_volumes() {
  if (!volumes_) return;
  auto all = store_.list();
  if (!all) {
    log::error("reconcile volumes: " + all.error().what());
    return;
  }
  std::vector<std::string> existing, running;
  for (auto& c : *all) {
    existing.push_back(c.id);
    if (is_live(c.state)) running.push_back(c.id);
  }
  if (auto r = volumes_->reconcile(existing, running); !r) log::error("reconcile volumes: " + r.error().what());
}

void ContainerService::release_mounts(const std::string& id, bool remove_anonymous) {
  if (!volumes_) return;
  auto mounts = mounts_of(id);
  volumes_->release_mounts_of(id);  // normally done at its stop already
  if (auto names = volumes_->remove_user(id); !names) log::error("release volumes of " + id + ": " + names.error().what());
  if (!remove_anonymous) return;
  for (auto& m : mounts) {
    if (m.type != "volume") continue;
    auto v = volumes_->get(m.name);
    if (!v || !v->labels.count(kAnonymousVolumeLabel)) continue;  // rm -v keeps named volumes
    if (volumes_->remove(m.name)) volume_event(*v, "destroy");    // 409 while another uses it: kept
  }
}

void ContainerService::volume_event(const VolumeRecord& v, const std::string& action, const std::string& container_id) {
  Event e;
  e.type = "volume";
  e.action = action;
  e.actor_id = v.name;
  e.attributes = {{"driver", v.driver}};
  if (!container_id.empty()) e.attributes["container"] = container_id;
  events_.publish(std::move(e));
}

}  // namespace berth::engine
