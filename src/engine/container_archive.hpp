// docker cp and export: a container's files read and written through fds below its root
// directory (path_in_root.hpp), running or stopped; the root is mounted for the duration when
// it is not mounted.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "engine/container_service.hpp"
#include "engine/path_in_root.hpp"
#include "image/image_service.hpp"
#include "image/layer_diff.hpp"

namespace berth::engine {

struct ExtractOptions {
  bool no_overwrite_dir_non_dir = false;
  bool copy_uid_gid = false;  // -a: files owned by the container's User (when it has one)
};

class ContainerArchive {
 public:
  ContainerArchive(ContainerService& containers, image::ImageService& images) : containers_(containers), images_(images) {}

  // HEAD /containers/{id}/archive. ref: as the client named the container (in messages).
  Result<PathStat> stat(std::string_view ref, std::string_view path);
  // GET: on_stat runs once the path is found, before the first byte of the tar goes to sink.
  Result<> archive(std::string_view ref, std::string_view path, const std::function<Result<>(const PathStat&)>& on_stat,
                   const image::ByteSink& sink);
  // PUT: extracts the tar in tar_fd (seekable: it is checked whole before anything is written)
  // into the directory path.
  Result<> extract(std::string_view ref, std::string_view path, int tar_fd, const ExtractOptions& opts);
  // The merged filesystem as one tar.
  Result<> export_rootfs(std::string_view ref, const image::ByteSink& sink);

 private:
  ContainerService& containers_;
  image::ImageService& images_;
};

}  // namespace berth::engine
