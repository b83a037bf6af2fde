// The stages of a build and what they need: FROM <earlier stage>, COPY --from=<stage|index|
// image> and RUN --mount=...,from=<stage|index|image> make a dependency graph. Only the stages
// the target needs run; those whose dependencies are all done can run side by side.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "engine/build/build_args.hpp"
#include "engine/build/instruction.hpp"

namespace berth::engine::build {

struct PlannedStage {
  int index = 0;
  std::string name;                // "" when the stage has no AS name
  std::string base;                // FROM's image, expanded ("scratch" for none)
  std::optional<int> base_stage;   // FROM <an earlier stage>
  std::string platform;            // FROM --platform, expanded
  std::vector<int> deps;           // stages it reads, sorted (base_stage included)
  std::vector<std::string> images;  // other images it reads (COPY --from=busybox)
};

struct BuildPlan {
  int target = 0;
  std::vector<PlannedStage> stages;      // every stage of the Dockerfile
  std::vector<int> needed;               // what the target needs, each after its deps
  std::vector<std::vector<int>> waves;   // needed stages by depth: a wave needs only earlier waves
};

// What a --from / from= value names.
struct FromRef {
  std::optional<int> stage;  // a stage, by name or index
  std::string image;         // otherwise an image reference
};
// Resolves against the stages' names (any case) and indexes; anything else is an image.
Result<FromRef> resolve_from(const std::vector<PlannedStage>& stages, std::string_view value);

// target "" builds the last stage. Errors: an unknown target, a duplicate stage name, a
// cycle ("circular dependency detected on stage: a"), a --from index out of range, a COPY or
// ADD source that climbs out of the context, an ADD of a URL or git repository.
Result<BuildPlan> plan_build(const Dockerfile& df, const BuildArgs& args, std::string_view target = "");

}  // namespace berth::engine::build
