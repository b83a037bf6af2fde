// The build context as the daemon receives it: a tar (plain, gzip or zstd, detected from the
// bytes) read from a stream into a private directory, never writing outside it (absolute
// names, "..", and paths through symlinks or hard links that lead out refuse the context);
// then the Dockerfile is read and, as dockerd does, the Dockerfile and .dockerignore are
// dropped from the context when the .dockerignore excludes them.
#pragma once
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace berth::engine::build {

// Reads fd to its end into dir (an empty directory the caller owns and removes on error).
Result<> extract_context(int fd, const std::string& dir);

// Reads the Dockerfile at path (relative to dir; "Dockerfile" when empty). Refuses a path
// that leaves the context. Then removes the build files the context's .dockerignore excludes.
Result<std::string> take_dockerfile(const std::string& dir, std::string_view path);

}  // namespace berth::engine::build
