// docker commit: the container's writable layer as a new layer over its image, with the
// container's Config (overridden by the request's Config and --change lines) as the image's,
// and a history entry; the container is paused meanwhile unless asked not to be.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "engine/container_service.hpp"
#include "image/image_service.hpp"

namespace berth::engine {

struct CommitRequest {
  std::string repo, tag, comment, author;
  bool pause = true;
  std::vector<std::string> changes;
  nlohmann::json config;  // the request body: Config fields that override the container's
};

// Returns the new image's ID ("sha256:...").
Result<std::string> commit_container(ContainerService& containers, image::ImageService& images, std::string_view ref,
                                     const CommitRequest& req);

}  // namespace berth::engine
