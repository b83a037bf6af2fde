#include "engine/build_leftovers.hpp"

#include <dirent.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "common/fs.hpp"
#include "common/log.hpp"

namespace berth::engine {

namespace {

bool is_build_container(const ContainerRecord& c) {
  auto cfg = nlohmann::json::parse(c.config_json, nullptr, false);
  return cfg.is_object() && cfg.contains("Labels") && cfg["Labels"].is_object() &&
         cfg["Labels"].contains(kBuildContainerLabel);
}

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (auto* e = ::readdir(d)) out.emplace_back(e->d_name);
    ::closedir(d);
  }
  return out;
}

}  // namespace

void remove_build_leftovers(ContainerService& containers, ContainerStore& store, image::ImageService& images) {
  if (auto all = store.list()) {
    for (auto& c : *all) {
      if (!is_build_container(c)) continue;
      log::info("removing the intermediate build container " + c.id.substr(0, 12) + " of an interrupted build");
      if (auto r = containers.remove(c.id, true); !r) log::warn("build leftovers: " + r.error().what());
    }
  } else {
    log::warn("build leftovers: " + all.error().what());
  }
  // Views first (unmounted, their snapshots removed), then the staging directories.
  std::string tmp = path_join(images.root(), "tmp");
  for (auto& n : names_in(tmp)) {
    if (!n.starts_with("build-view-")) continue;
    std::string mnt = path_join(tmp, n);
    (void)images.unmount_rootfs(mnt);  // not mounted any more: nothing to do
    // rmdir, never a recursive removal: a view that would not unmount keeps its files.
    if (::rmdir(mnt.c_str()) != 0) log::warn("build leftovers: rmdir " + mnt + ": " + std::strerror(errno));
  }
  if (auto keys = images.snapshotter().snapshots()) {
    for (auto& k : *keys)
      if (k.starts_with("build-view-"))
        if (auto r = images.remove_rootfs(k); !r) log::warn("build leftovers: " + r.error().what());
  }
  for (auto& n : names_in(tmp)) {
    if (!n.starts_with("build-") || n.starts_with("build-view-")) continue;
    if (auto r = remove_all(path_join(tmp, n)); !r) log::warn("build leftovers: " + r.error().what());
  }
}

}  // namespace berth::engine
