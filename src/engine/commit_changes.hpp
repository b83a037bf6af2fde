// docker commit --change: the Dockerfile instructions that dockerd accepts there (CMD,
// ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR), applied to an
// image config (Docker's Config object). Anything else is refused with dockerd's message.
#pragma once
#include <nlohmann/json.hpp>
#include <string_view>

#include "common/error.hpp"

namespace berth::engine {

Result<> apply_commit_change(nlohmann::json& config, std::string_view line);

}  // namespace berth::engine
