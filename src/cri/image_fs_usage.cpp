#include "cri/image_fs_usage.hpp"

#include <ftw.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <utility>

namespace berth::cri {

namespace {

// nftw's callback takes no context: the walk in progress on this thread.
struct Walk {
  FsUsage usage;
  std::set<std::pair<dev_t, ino_t>> seen;  // hard links and a dir listed twice count once
};
thread_local Walk* current = nullptr;

int visit(const char*, const struct stat* st, int type, FTW*) {
  if (type == FTW_NS || type == FTW_DNR) return 0;  // vanished or unreadable: skipped
  if (!current->seen.emplace(st->st_dev, st->st_ino).second) return 0;
  current->usage.bytes += static_cast<uint64_t>(st->st_blocks) * 512;
  ++current->usage.inodes;
  return 0;
}

}  // namespace

Result<FsUsage> fs_usage(const std::vector<std::string>& dirs) {
  Walk walk;
  current = &walk;
  for (auto& d : dirs) {
    if (nftw(d.c_str(), visit, 32, FTW_PHYS | FTW_MOUNT) != 0 && errno != ENOENT) {
      int e = errno;
      current = nullptr;
      return fail(sys_error("image filesystem usage: walk " + d, e));
    }
  }
  current = nullptr;
  return walk.usage;
}

}  // namespace berth::cri
