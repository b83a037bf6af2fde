// What a build leaves behind when berthd dies mid-build, removed at the next start: its RUN
// container (marked with kBuildContainerLabel when the executor creates it), the root
// filesystem views it mounted (snapshots "build-view-*") and its staging directories under the
// image root's tmp/ (context, layers). Nothing else can be building then: berthd holds the data
// root's lock.
#pragma once
#include "engine/container_service.hpp"
#include "image/image_service.hpp"

namespace berth::engine {

inline constexpr const char* kBuildContainerLabel = "berth.build.intermediate";

// Failures are logged, not returned: a leftover that cannot go must not stop the daemon.
void remove_build_leftovers(ContainerService& containers, ContainerStore& store, image::ImageService& images);

}  // namespace berth::engine
