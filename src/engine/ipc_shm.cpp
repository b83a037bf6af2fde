#include "engine/ipc_shm.hpp"

#include <sys/mount.h>
#include <sys/stat.h>

#include "common/fs.hpp"

namespace berth::engine {

std::string shareable_shm_dir(const std::string& container_dir) { return path_join(container_dir, "shm"); }

Result<> ensure_shareable_shm(const std::string& container_dir, int64_t size) {
  auto dir = shareable_shm_dir(container_dir);
  BERTH_CHECK(mkdir_p(dir, 0700), "create " + dir);
  if (is_mountpoint(dir)) return {};
  auto opts = "mode=1777,size=" + std::to_string(size > 0 ? size : 64 * 1024 * 1024);
  if (mount("shm", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts.c_str()) != 0)
    return fail_sys("mount the shareable /dev/shm on " + dir);
  return {};
}

void release_shareable_shm(const std::string& container_dir) {
  auto dir = shareable_shm_dir(container_dir);
  while (is_mountpoint(dir) && umount2(dir.c_str(), MNT_DETACH) == 0) {
  }
}

}  // namespace berth::engine
