// What the image store takes on its filesystem, for ImageFsInfo: the bytes (allocated blocks)
// and inodes under the store's blobs and unpacked layers, each inode counted once.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace berth::cri {

struct FsUsage {
  uint64_t bytes = 0, inodes = 0;
};

// Files that vanish during the walk (a concurrent rmi) are skipped; a missing directory is empty.
Result<FsUsage> fs_usage(const std::vector<std::string>& dirs);

}  // namespace berth::cri
