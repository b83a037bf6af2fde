// The client side of a build context: which paths of a directory `docker build` sends. Every
// path the .dockerignore does not exclude, in lexical walk order, symlinks not followed. An
// excluded directory is still entered when an exception pattern may bring back something
// below it ("dir" then "!dir/keep"); the directory itself is not sent then.
#pragma once
#include <string>
#include <vector>

#include "common/error.hpp"
#include "engine/build/dockerignore.hpp"

namespace berth::engine::build {

// Paths relative to dir, "/"-separated, each directory before what it holds.
Result<std::vector<std::string>> context_files(const std::string& dir, const Dockerignore& ignore);

}  // namespace berth::engine::build
