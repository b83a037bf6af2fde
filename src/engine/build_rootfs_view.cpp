#include "engine/build_rootfs_view.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>

#include "common/fs.hpp"
#include "common/log.hpp"

namespace berth::engine {

Result<std::unique_ptr<RootfsView>> RootfsView::open(image::ImageService& images, const std::string& image_id) {
  static std::atomic<unsigned> n{0};
  std::unique_ptr<RootfsView> v(new RootfsView(images));
  std::string tag = std::to_string(getpid()) + "-" + std::to_string(n++);
  v->key_ = "build-view-" + tag;
  v->mnt_ = path_join(images.root(), "tmp/build-view-" + tag);
  std::string ctx = "mount image " + image_id;
  BERTH_CHECK(mkdir_p(path_join(images.root(), "tmp"), 0700), ctx);
  if (::mkdir(v->mnt_.c_str(), 0700) != 0) return fail_sys(ctx + ": mkdir " + v->mnt_);
  BERTH_CHECK(images.create_rootfs(v->key_, image_id), ctx);
  v->created_ = true;
  image::MountOptions mo;
  mo.volatile_upper = true;
  BERTH_CHECK(images.mount_rootfs(v->key_, v->mnt_, mo), ctx);
  v->mounted_ = true;
  v->fd_.reset(::open(v->mnt_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!v->fd_) return fail_sys(ctx + ": open " + v->mnt_);
  return v;
}

RootfsView::~RootfsView() {
  fd_.reset();
  if (mounted_)
    if (auto r = images_.unmount_rootfs(mnt_); !r) log::warn("build: " + r.error().what());
  if (created_)
    if (auto r = images_.remove_rootfs(key_); !r) log::warn("build: " + r.error().what());
  ::rmdir(mnt_.c_str());
}

}  // namespace berth::engine
