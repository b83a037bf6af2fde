#include "engine/container_archive.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/json_util.hpp"
#include "common/fs.hpp"
#include "common/log.hpp"
#include "engine/user_lookup.hpp"
#include "image/layer_apply.hpp"

namespace berth::engine {

namespace {

// The container's root directory, open; mounted here (and unmounted again) when it was not.
class Root {
 public:
  static Result<std::unique_ptr<Root>> open(ContainerService& svc, image::ImageService& images, const std::string& id) {
    std::unique_ptr<Root> r(new Root(images));
    std::string bundle = path_join(svc.container_dir(id), "bundle");
    r->path_ = path_join(bundle, "rootfs");
    struct stat b, m;
    if (stat(bundle.c_str(), &b) != 0 || stat(r->path_.c_str(), &m) != 0)
      return fail_sys("container " + id + ": root filesystem");
    if (b.st_dev == m.st_dev) {
      BERTH_CHECK(images.mount_rootfs(id, r->path_), "mount the root filesystem of " + id);
      r->mounted_ = true;
    }
    r->fd_ = UniqueFd(::open(r->path_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!r->fd_) return fail_sys("open the root filesystem of " + id);
    return r;
  }
  ~Root() {
    fd_.reset();
    if (mounted_)
      if (auto u = images_.unmount_rootfs(path_); !u) log::warn(u.error().what());
  }
  int fd() const { return fd_.get(); }

 private:
  explicit Root(image::ImageService& images) : images_(images) {}
  image::ImageService& images_;
  std::string path_;
  bool mounted_ = false;
  UniqueFd fd_;
};

// dockerd's containerFileNotFound, for a path that is not there.
Error not_found(const Error& e, std::string_view path, std::string_view ref) {
  if (e.kind != ErrorKind::NotFound) return e;
  return make_error(ErrorKind::NotFound,
                    "Could not find the file " + std::string(path) + " in container " + std::string(ref));
}

}  // namespace

Result<PathStat> ContainerArchive::stat(std::string_view ref, std::string_view path) {
  auto c = BERTH_TRY(containers_.find(ref), "");
  auto root = BERTH_TRY(Root::open(containers_, images_, c.id), "");
  auto r = resolve_in_root(root->fd(), path);
  if (!r) return fail(not_found(r.error(), path, ref));
  auto s = stat_in_root(root->fd(), *r);
  if (!s) return fail(not_found(s.error(), path, ref));
  return s;
}

Result<> ContainerArchive::archive(std::string_view ref, std::string_view path,
                                   const std::function<Result<>(const PathStat&)>& on_stat,
                                   const image::ByteSink& sink) {
  auto c = BERTH_TRY(containers_.find(ref), "");
  auto root = BERTH_TRY(Root::open(containers_, images_, c.id), "");
  auto r = resolve_in_root(root->fd(), path);
  if (!r) return fail(not_found(r.error(), path, ref));
  auto s = stat_in_root(root->fd(), *r);
  if (!s) return fail(not_found(s.error(), path, ref));
  BERTH_CHECK(on_stat(*s), "");
  // The entries are named after the path asked for, not after what a trailing "/." resolved to.
  std::string as = r->abs == "/" ? "." : s->name;
  image::DiffOptions o;
  o.overlay_whiteouts = false;
  BERTH_CHECK(image::write_entry_tar(r->dir.get(), r->base, as, sink, o), "copy from container " + std::string(ref));
  return {};
}

Result<> ContainerArchive::extract(std::string_view ref, std::string_view path, int tar_fd, const ExtractOptions& opts) {
  auto c = BERTH_TRY(containers_.find(ref), "");
  auto hc = nlohmann::json::parse(c.host_config_json, nullptr, false);
  if (json_flag(hc, "ReadonlyRootfs"))
    return fail(ErrorKind::Permission, "container rootfs is marked read-only");
  auto root = BERTH_TRY(Root::open(containers_, images_, c.id), "");
  // The last component is followed too: extracting to a symlink to a directory is allowed.
  auto dest = open_in_root(root->fd(), clean_abs_path(path), O_RDONLY | O_DIRECTORY);
  if (!dest && dest.error().errnum == ENOTDIR) return fail(ErrorKind::Invalid, "extraction point is not a directory");
  if (!dest) return fail(not_found(dest.error(), path, ref));
  image::ApplyOptions ao;
  ao.overlay_whiteouts = false;
  ao.no_overwrite_dir_non_dir = opts.no_overwrite_dir_non_dir;
  ao.validate_first = true;
  auto cfg = nlohmann::json::parse(c.config_json, nullptr, false);
  std::string user = cfg.is_object() && cfg.value("User", nlohmann::json()).is_string() ? cfg["User"].get<std::string>() : "";
  if (opts.copy_uid_gid && !user.empty()) {
    auto u = BERTH_TRY(resolve_user(user, read_small_file_in_root(root->fd(), "/etc/passwd"),
                                  read_small_file_in_root(root->fd(), "/etc/group")), "");
    ao.chown = std::make_pair(u.uid, u.gid);
  }
  auto r = image::apply_layer_at(tar_fd, dest->get(), ao);
  if (!r) return fail(make_error(r.error().kind == ErrorKind::Internal ? ErrorKind::Internal : ErrorKind::Invalid,
                                 r.error().what()));
  return {};
}

Result<> ContainerArchive::export_rootfs(std::string_view ref, const image::ByteSink& sink) {
  auto c = BERTH_TRY(containers_.find(ref), "");
  BERTH_CHECK(images_.export_rootfs(c.id, sink), "");
  return {};
}

}  // namespace berth::engine
