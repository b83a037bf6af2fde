// Pull and push of whole images between a registry and the local store.
#pragma once
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "image/image_model.hpp"
#include "image/image_service.hpp"
#include "image/registry_client.hpp"

namespace berth::image {

struct Progress {
  std::string id;      // short digest of the blob, or the reference
  std::string status;  // "Pulling fs layer", "Downloading", "Download complete", "Already exists", "Pushed", ...
  uint64_t current = 0, total = 0;
};
// Return false to cancel the transfer (the pull fails; no partial blob stays in the store).
using ProgressFn = std::function<bool(const Progress&)>;

struct PullOptions {
  RegistryOptions registry;
  // Mirror endpoints of the reference's registry ("http://127.0.0.1:5000"), tried in order
  // before the registry itself; the image keeps its own name whichever one served it.
  std::vector<std::string> mirrors;
  Platform platform;     // linux/amd64 unless asked otherwise
  int parallel = 3;      // concurrent layer downloads
  ProgressFn progress;
};

struct PushOptions {
  RegistryOptions registry;
  ProgressFn progress;
};

// ref: "127.0.0.1:5000/busybox:1", "x@sha256:...". Records the tag and the repo digest.
Result<ImageRecord> pull_image(ImageService& svc, const std::string& ref, const PullOptions& opts = {});
// Pushes the local image `name` to `target` (defaults to name). Returns the manifest digest.
Result<Digest> push_image(ImageService& svc, const std::string& name, const std::string& target = "",
                          const PushOptions& opts = {});

// Docker-like progress lines on out ("abc123def456: Download complete"); byte counts are
// printed at most once per 10% of a blob.
ProgressFn text_progress(FILE* out);

}  // namespace berth::image
