// RUN --mount for the builder (BuildKit's syntax; dockerd's classic builder has none):
// - cache: a directory under <data root>/build-mounts/cache keyed by its id (the target when not
//   given), created with mode/uid/gid, kept across builds, never part of the layer; `builder
//   prune` empties it. sharing=locked (and private, which berth treats alike) holds an flock for
//   the RUN; shared does not.
// - bind: a path of the context (default) or of a stage's or image's root filesystem (from=),
//   read-only unless rw, and then written to a copy that is thrown away. A source that climbs
//   out of its root ("..", a symlink leading out) is refused.
// - tmpfs: an empty tmpfs (size= its limit).
// Two phases: resolve() checks everything and gives the parts of the step's cache key (a bind
// of the context hashes the files it shows); prepare() makes what the container mounts, on a
// cache miss only, and keeps it alive until the object goes.
#pragma once
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/fd.hpp"
#include "engine/build/run_mount.hpp"
#include "engine/build_rootfs_view.hpp"
#include "image/image_service.hpp"

namespace berth::engine {

std::string build_cache_mounts_dir(const std::string& data_root);

struct RunMountContext {
  std::string context_dir;
  std::string cache_dir;  // build_cache_mounts_dir()
  std::string workdir;    // a relative target is below it
  // A from= value: the image ID of that stage's result or that image.
  std::function<Result<std::string>(const std::string& from)> image_of;
};

class RunMounts {
 public:
  static Result<std::unique_ptr<RunMounts>> resolve(const std::vector<build::RunMount>& mounts,
                                                    const RunMountContext& ctx);
  ~RunMounts();
  const std::vector<std::string>& key_parts() const { return key_; }
  // Adds the mounts to the RUN container's HostConfig (Mounts, Tmpfs).
  Result<> prepare(image::ImageService& images, nlohmann::json& host_config);

 private:
  struct Item {
    build::RunMount m;
    std::string target;    // absolute
    std::string image;     // bind from=: the image ID
    std::string rel;       // bind: the source below its root ("" = the root)
  };
  RunMounts() = default;
  std::vector<Item> items_;
  std::vector<std::string> key_;
  RunMountContext ctx_;
  std::vector<std::unique_ptr<RootfsView>> views_;
  std::vector<std::string> copies_;  // rw binds of the context, removed at the end
  std::vector<UniqueFd> locks_;
};

}  // namespace berth::engine
