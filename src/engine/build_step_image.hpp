// The image one build step makes: the parent's layers (none for scratch) plus, when the step
// wrote files, one layer made from a directory tree; its config is the parent's with the
// stage's "config" object and one more history entry (empty_layer for metadata steps).
// Each step's image is registered untagged, as dockerd's classic builder does: it is the next
// step's parent and what the build cache points at.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/error.hpp"
#include "image/image_service.hpp"

namespace berth::engine {

struct StepImage {
  std::optional<std::string> layer_dir;  // a plain tree (no overlay whiteouts) to add as a layer
  nlohmann::json config;                 // the image config's "config" object
  std::string created_by;                // the history line
  std::string author;                    // MAINTAINER
};

// The image config as stored (architecture, os, config, rootfs, history) of parent, or of an
// empty image for scratch (nullopt).
Result<nlohmann::json> image_config_of(image::ImageService& images, const std::optional<image::Digest>& parent);

Result<image::ImageRecord> make_step_image(image::ImageService& images, const std::optional<image::Digest>& parent,
                                           const StepImage& step);

}  // namespace berth::engine
