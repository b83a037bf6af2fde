#include "network/netns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <thread>

#include "network/netlink.hpp"

namespace berth::network {

Result<> create_netns(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) return fail(make_error(ErrorKind::Internal, "create netns " + path + ": " + ec.message()));
  int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (fd < 0) return fail_sys("create netns " + path, errno == EEXIST ? ErrorKind::Exists : ErrorKind::Internal);
  ::close(fd);
  // unshare(CLONE_NEWNET) moves only the calling thread: a thread of its own does it, binds
  // the namespace to path, brings lo up, and ends; the rest of the process never moves.
  Result<> out;
  std::thread t([&] {
    if (unshare(CLONE_NEWNET) != 0) {
      out = fail_sys("create netns " + path + ": unshare");
      return;
    }
    if (mount("/proc/thread-self/ns/net", path.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      out = fail_sys("create netns " + path + ": bind mount");
      return;
    }
    auto nl = Netlink::open();
    if (!nl) {
      out = fail(nl.error().wrap("create netns " + path));
      return;
    }
    if (auto r = nl->set_up("lo"); !r) out = fail(r.error().wrap("create netns " + path));
  });
  t.join();
  if (!out) remove_netns(path);
  return out;
}

Result<> remove_netns(const std::string& path) {
  if (umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
    return fail_sys("remove netns " + path + ": unmount");
  if (unlink(path.c_str()) != 0 && errno != ENOENT) return fail_sys("remove netns " + path);
  return {};
}

Result<UniqueFd> open_netns(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail_sys("open netns " + path, errno == ENOENT ? ErrorKind::NotFound : ErrorKind::Internal);
  return UniqueFd(fd);
}

}  // namespace berth::network
