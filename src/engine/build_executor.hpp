// The Dockerfile builder's executor, as dockerd's classic builder runs a build, except that
// independent stages run side by side (the plan's waves; their output interleaves, each line
// whole, with the step numbers a sequential build gives); each FROM resolved in the image store (or scratch, or an earlier
// stage); each step makes an untagged image (its cache entry): RUN in a container created and
// started through the ContainerService (no network unless RUN --network or the build's network
// mode asks), its writable layer committed; COPY/ADD written as a layer without a container;
// the other instructions only change the config (empty_layer history entries). The target's
// image is tagged. Intermediate containers are always removed; a failed or cancelled build
// tags nothing.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "engine/build/build_args.hpp"
#include "engine/build_cache.hpp"
#include "engine/container_service.hpp"
#include "image/image_service.hpp"

namespace berth::engine {

struct BuildOptions {
  std::string context_dir;  // the extracted context
  std::string dockerfile;   // its text
  build::GivenArgs build_args;
  std::string target;
  std::vector<std::string> tags;
  std::map<std::string, std::string> labels;  // --label: a last LABEL step, as dockerd adds it
  bool no_cache = false;
  std::string network_mode;  // "" or "default": none for RUN; "host", "none", a network name
};

struct BuildIo {
  // The build's text output ("Step 1/3 : FROM busybox\n", a RUN's output). false: the client
  // is gone and the build stops.
  std::function<bool(const std::string&)> out;
  // Blocks until fd is readable or timeout_ms passes; false when the client is gone.
  std::function<bool(int fd, int timeout_ms)> wait;
};

struct BuildResult {
  std::string image_id;             // "sha256:..."
  std::vector<std::string> tagged;  // as dockerd prints them ("x:latest")
};

Result<BuildResult> run_build(ContainerService& containers, image::ImageService& images, BuildCache& cache,
                              const BuildOptions& opts, const BuildIo& io);

}  // namespace berth::engine
