#include <dirent.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>

#include "common/fs.hpp"
#include "image/safe_path.hpp"
#include "image/snapshotter.hpp"

namespace berth::image {

namespace {

std::atomic<unsigned> staging_counter{0};

Result<> check_key(const std::string& key) {
  if (key.empty() || key.size() > 128 || key == "." || key == ".." || key.find('/') != std::string::npos)
    return fail(ErrorKind::Invalid, "snapshot key \"" + key + "\": must be a non-empty name without '/'");
  return {};
}

std::string short_link(const Digest& chain) { return chain.hex().substr(0, 20); }

Result<std::optional<Digest>> read_parent(const std::string& file) {
  if (!path_exists(file)) return std::optional<Digest>();
  auto text = BERTH_TRY(read_file(file), "read parent");
  text = trim(text);
  if (text.empty()) return std::optional<Digest>();
  auto d = BERTH_TRY(Digest::parse(text), "parent file " + file);
  return std::optional<Digest>(d);
}

int fsopen_(const char* fs, unsigned flags) { return static_cast<int>(syscall(SYS_fsopen, fs, flags)); }
int fsconfig_(int fd, unsigned cmd, const char* key, const void* value, int aux) {
  return static_cast<int>(syscall(SYS_fsconfig, fd, cmd, key, value, aux));
}
int fsmount_(int fd, unsigned flags, unsigned attrs) { return static_cast<int>(syscall(SYS_fsmount, fd, flags, attrs)); }
int move_mount_(int from, const char* fp, int to, const char* tp, unsigned flags) {
  return static_cast<int>(syscall(SYS_move_mount, from, fp, to, tp, flags));
}

// The new mount API takes each lower layer as its own parameter, so the stack depth is not
// limited by the one-page option string of mount(2).
// An idmapped, detached copy of dir's mount (open_tree + MOUNT_ATTR_IDMAP).
Result<UniqueFd> idmapped_tree(const std::string& dir, int userns_fd) {
  UniqueFd tree(static_cast<int>(syscall(SYS_open_tree, AT_FDCWD, dir.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)));
  if (!tree) return fail_sys("open_tree " + dir);
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = static_cast<uint64_t>(userns_fd);
  if (syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) != 0)
    return fail_sys("idmap " + dir + " (does its filesystem support idmapped mounts?)");
  return tree;
}

Result<> mount_with_fsconfig(const std::vector<std::string>& lowers, const std::string& upper,
                             const std::string& work, const std::string& target, unsigned long flags,
                             bool volatile_upper, int idmap_userns_fd = -1) {
  UniqueFd fs(fsopen_("overlay", FSOPEN_CLOEXEC));
  if (!fs) return fail_sys("fsopen overlay");
  auto set = [&](const char* k, const std::string& v) -> Result<> {
    if (fsconfig_(fs.get(), FSCONFIG_SET_STRING, k, v.c_str(), 0) != 0)
      return fail_sys(std::string("fsconfig ") + k + "=" + v);
    return {};
  };
  // A detached tree is dissolved when its last fd closes: they stay open until the overlay exists.
  std::vector<UniqueFd> trees;
  for (auto& l : lowers) {
    if (idmap_userns_fd < 0) {
      BERTH_CHECK(set("lowerdir+", l), "mount overlay");
      continue;
    }
    // Layers by fd (kernel 6.13+): the idmapped trees need no mount point of their own.
    trees.push_back(BERTH_TRY(idmapped_tree(l, idmap_userns_fd), "mount overlay"));
    if (fsconfig_(fs.get(), FSCONFIG_SET_FD, "lowerdir+", nullptr, trees.back().get()) != 0)
      return fail_sys("mount overlay: fsconfig lowerdir+ (an idmapped layer by fd needs kernel 6.13 or later)");
  }
  if (!upper.empty()) {
    BERTH_CHECK(set("upperdir", upper), "mount overlay");
    BERTH_CHECK(set("workdir", work), "mount overlay");
    if (volatile_upper && fsconfig_(fs.get(), FSCONFIG_SET_FLAG, "volatile", nullptr, 0) != 0)
      return fail_sys("fsconfig volatile");
  }
  if (fsconfig_(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) return fail_sys("mount overlay: create");
  UniqueFd mnt(fsmount_(fs.get(), FSMOUNT_CLOEXEC, (flags & MS_RDONLY) ? MOUNT_ATTR_RDONLY : 0));
  if (!mnt) return fail_sys("mount overlay: fsmount");
  if (move_mount_(mnt.get(), "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
    return fail_sys("mount overlay on " + target);
  return {};
}

}  // namespace

Result<std::unique_ptr<OverlaySnapshotter>> OverlaySnapshotter::open(const std::string& root, Options opts) {
  for (auto d : {"layers", "l", "active", "staging"}) BERTH_CHECK(mkdir_p(root + "/" + d, 0700), "open snapshotter");
  // Staging directories belong to fills that never finished: a crash mid-unpack.
  DIR* dir = opendir((root + "/staging").c_str());
  if (dir) {
    UniqueFd sfd(::open((root + "/staging").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    while (auto* e = readdir(dir)) {
      std::string n = e->d_name;
      if (n == "." || n == "..") continue;
      pid_t pid = static_cast<pid_t>(atoi(n.c_str()));
      if (pid > 0 && kill(pid, 0) == 0) continue;
      (void)remove_at(sfd.get(), n);
    }
    closedir(dir);
  }
  return std::unique_ptr<OverlaySnapshotter>(new OverlaySnapshotter(root, opts));
}

bool OverlaySnapshotter::has_layer(const Digest& chain) const {
  return is_dir(root_ + "/layers/" + chain.hex() + "/diff");
}

Result<std::string> OverlaySnapshotter::layer_dir(const Digest& chain) const {
  if (!has_layer(chain)) return fail(ErrorKind::NotFound, "layer " + chain.str() + ": not unpacked");
  return root_ + "/layers/" + chain.hex() + "/diff";
}

Result<> OverlaySnapshotter::create_layer(const Digest& chain, const std::optional<Digest>& parent, const Fill& fill) {
  if (has_layer(chain)) return {};
  std::string stage = root_ + "/staging/" + std::to_string(getpid()) + "-" + std::to_string(staging_counter++);
  BERTH_CHECK(mkdir_p(stage + "/diff", 0755), "create layer");
  auto cleanup = [&] { (void)remove_all(stage); };
  if (parent) {
    auto r = write_file_atomic(stage + "/parent", parent->str() + "\n");
    if (!r) {
      cleanup();
      return fail(r.error().wrap("create layer"));
    }
  }
  auto r = fill(stage + "/diff");
  if (!r) {
    cleanup();
    return fail(r.error().wrap("create layer " + chain.short_id()));
  }
  std::string dst = root_ + "/layers/" + chain.hex();
  if (rename(stage.c_str(), dst.c_str()) != 0) {
    int e = errno;
    cleanup();
    if (e == EEXIST || e == ENOTEMPTY) return {};  // another unpack of the same layer won
    return fail(sys_error("publish layer " + chain.str(), e));
  }
  std::string link = root_ + "/l/" + short_link(chain);
  unlink(link.c_str());
  if (symlink(("../layers/" + chain.hex() + "/diff").c_str(), link.c_str()) != 0)
    return fail_sys("create layer link " + link);
  return {};
}

Result<> OverlaySnapshotter::remove_layer(const Digest& chain) {
  std::string dir = root_ + "/layers/" + chain.hex();
  if (!is_dir(dir)) return fail(ErrorKind::NotFound, "layer " + chain.str() + ": not unpacked");
  unlink((root_ + "/l/" + short_link(chain)).c_str());
  // Rename first so a half-removed layer is never mistaken for a complete one.
  std::string trash = root_ + "/staging/" + std::to_string(getpid()) + "-rm-" + std::to_string(staging_counter++);
  if (rename(dir.c_str(), trash.c_str()) != 0) return fail_sys("remove layer " + chain.str());
  BERTH_CHECK(remove_all(trash), "remove layer " + chain.str());
  return {};
}

Result<std::vector<Digest>> OverlaySnapshotter::layers() const {
  std::vector<Digest> out;
  DIR* d = opendir((root_ + "/layers").c_str());
  if (!d) return fail_sys("list layers");
  while (auto* e = readdir(d)) {
    auto dg = Digest::parse(std::string("sha256:") + e->d_name);
    if (dg) out.push_back(*dg);
  }
  closedir(d);
  return out;
}

Result<std::vector<std::string>> OverlaySnapshotter::lower_stack(const Digest& top) const {
  std::vector<std::string> out;
  std::optional<Digest> cur = top;
  while (cur) {
    if (!has_layer(*cur)) return fail(ErrorKind::NotFound, "layer " + cur->str() + ": not unpacked");
    out.push_back(root_ + "/l/" + short_link(*cur));
    cur = BERTH_TRY(read_parent(root_ + "/layers/" + cur->hex() + "/parent"), "layer stack");
    if (out.size() > 1000) return fail(ErrorKind::Invalid, "layer stack: parent loop");
  }
  return out;
}

Result<> OverlaySnapshotter::prepare(const std::string& key, const std::optional<Digest>& top) {
  BERTH_CHECK(check_key(key), "prepare snapshot");
  if (top) BERTH_CHECK(lower_stack(*top), "prepare snapshot " + key);
  std::string dir = root_ + "/active/" + key;
  if (mkdir(dir.c_str(), 0700) != 0) {
    if (errno == EEXIST) return fail(ErrorKind::Exists, "snapshot " + key + ": already exists");
    return fail_sys("prepare snapshot " + key);
  }
  auto r = [&]() -> Result<> {
    BERTH_CHECK(mkdir_p(dir + "/upper", 0755), "");
    BERTH_CHECK(mkdir_p(dir + "/work", 0700), "");
    BERTH_CHECK(write_file_atomic(dir + "/parent", top ? top->str() + "\n" : "\n"), "");
    return {};
  }();
  if (!r) {
    (void)remove_all(dir);
    return fail(r.error().wrap("prepare snapshot " + key));
  }
  return {};
}

Result<std::string> OverlaySnapshotter::upper_dir(const std::string& key) const {
  BERTH_CHECK(check_key(key), "snapshot");
  std::string d = root_ + "/active/" + key + "/upper";
  if (!is_dir(d)) return fail(ErrorKind::NotFound, "snapshot " + key + ": not found");
  return d;
}

Result<std::optional<Digest>> OverlaySnapshotter::parent_of(const std::string& key) const {
  BERTH_CHECK(upper_dir(key), "");
  return read_parent(root_ + "/active/" + key + "/parent");
}

Result<> OverlaySnapshotter::mount(const std::string& key, const std::string& target, const MountOptions& mo) {
  std::string upper = BERTH_TRY(upper_dir(key), "mount snapshot");
  auto parent = BERTH_TRY(parent_of(key), "mount snapshot " + key);
  std::vector<std::string> lowers;
  if (parent) lowers = BERTH_TRY(lower_stack(*parent), "mount snapshot " + key);
  if (mo.upper_uid != 0 || mo.upper_gid != 0)
    if (chown(upper.c_str(), mo.upper_uid, mo.upper_gid) != 0) return fail_sys("mount snapshot " + key + ": chown upper");
  if (!lowers.empty() && mo.idmap_userns_fd >= 0) {
    BERTH_CHECK(mount_with_fsconfig(lowers, upper, root_ + "/active/" + key + "/work", target, 0, mo.volatile_upper,
                                    mo.idmap_userns_fd),
                "mount snapshot " + key);
    return {};
  }
  if (lowers.empty()) {
    // No image layers: the upper dir is the whole filesystem.
    if (::mount(upper.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0)
      return fail_sys("mount snapshot " + key + " on " + target);
    return {};
  }
  auto r = mount_stack(lowers, "active/" + key, target, 0, mo.volatile_upper);
  // A kernel without "volatile" (before 5.10) gets the ordinary, synced mount.
  if (!r && mo.volatile_upper && r.error().errnum == EINVAL) r = mount_stack(lowers, "active/" + key, target, 0);
  BERTH_CHECK(r, "mount snapshot " + key);
  return {};
}

// Three ways to name the lower stack, tried in order: absolute short links in one mount(2)
// option string (up to one page); fsconfig("lowerdir+") one layer per call (kernel 6.8+); and,
// for older kernels, mount(2) from a child that chdir()s into l/ so each layer costs ~21 bytes.
Result<> OverlaySnapshotter::mount_stack(const std::vector<std::string>& lowers, const std::string& active,
                                         const std::string& target, unsigned long flags, bool volatile_upper) {
  std::string upper = active.empty() ? "" : root_ + "/" + active + "/upper";
  std::string work = active.empty() ? "" : root_ + "/" + active + "/work";
  auto options = [&](const std::vector<std::string>& ls, const std::string& u, const std::string& w) {
    std::string o = "lowerdir=";
    for (size_t i = 0; i < ls.size(); ++i) o += (i ? ":" : "") + ls[i];
    if (!u.empty()) o += ",upperdir=" + u + ",workdir=" + w + (volatile_upper ? ",volatile" : "");
    return o;
  };
  size_t page = static_cast<size_t>(getpagesize());
  if (opts_.deep_stack == DeepStack::Auto) {
    std::string o = options(lowers, upper, work);
    if (o.size() < page - 1) {
      if (::mount("overlay", target.c_str(), "overlay", flags, o.c_str()) != 0)
        return fail_sys("mount overlay on " + target);
      return {};
    }
  }
  if (opts_.deep_stack != DeepStack::RelativeChdir) {
    auto r = mount_with_fsconfig(lowers, upper, work, target, flags, volatile_upper);
    if (r || opts_.deep_stack == DeepStack::Fsconfig || r.error().errnum != EINVAL) return r;
  }
  // Relative to <root>/l: "abc...:def...", upper as "../active/<key>/upper".
  std::string ldir = root_ + "/l/";
  std::vector<std::string> rel;
  for (auto& l : lowers) rel.push_back(l.rfind(ldir, 0) == 0 ? l.substr(ldir.size()) : "../" + l.substr(root_.size() + 1));
  std::string o = options(rel, active.empty() ? "" : "../" + active + "/upper", active.empty() ? "" : "../" + active + "/work");
  if (o.size() >= page - 1)
    return fail(ErrorKind::Invalid, "mount overlay: " + std::to_string(lowers.size()) + " layers do not fit one mount");
  std::string abs_target = target;
  if (abs_target.empty() || abs_target[0] != '/') {
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd)) return fail_sys("getcwd");
    abs_target = std::string(cwd) + "/" + target;
  }
  // Only chdir, mount and _exit run in the child: safe after fork in a threaded process.
  pid_t pid = fork();
  if (pid < 0) return fail_sys("fork for overlay mount");
  if (pid == 0) {
    if (chdir(ldir.c_str()) != 0) _exit(errno);
    if (::mount("overlay", abs_target.c_str(), "overlay", flags, o.c_str()) != 0) _exit(errno);
    _exit(0);
  }
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(st)) return fail(ErrorKind::Internal, "overlay mount helper died");
  if (WEXITSTATUS(st) != 0) return fail(sys_error("mount overlay on " + target, WEXITSTATUS(st)));
  return {};
}

Result<> OverlaySnapshotter::mount_view(const std::string& key, const std::string& target) {
  std::string upper = BERTH_TRY(upper_dir(key), "mount snapshot view");
  auto parent = BERTH_TRY(parent_of(key), "mount snapshot view " + key);
  std::vector<std::string> lowers{upper};
  if (parent) {
    auto more = BERTH_TRY(lower_stack(*parent), "mount snapshot view " + key);
    lowers.insert(lowers.end(), more.begin(), more.end());
  }
  if (lowers.size() == 1) {
    if (::mount(upper.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0)
      return fail_sys("mount snapshot view " + key);
    ::mount(nullptr, target.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr);
    return {};
  }
  // Without an upper dir overlay is read-only by construction (it needs two lowers: we have them).
  BERTH_CHECK(mount_stack(lowers, "", target, MS_RDONLY), "mount snapshot view " + key);
  return {};
}

Result<> OverlaySnapshotter::unmount(const std::string& target) {
  if (umount2(target.c_str(), MNT_DETACH) != 0) return fail_sys("unmount " + target);
  return {};
}

Result<> OverlaySnapshotter::remove(const std::string& key) {
  BERTH_CHECK(check_key(key), "remove snapshot");
  std::string dir = root_ + "/active/" + key;
  if (!is_dir(dir)) return fail(ErrorKind::NotFound, "snapshot " + key + ": not found");
  BERTH_CHECK(remove_all(dir), "remove snapshot " + key);
  return {};
}

Result<std::vector<std::string>> OverlaySnapshotter::snapshots() const {
  std::vector<std::string> out;
  DIR* d = opendir((root_ + "/active").c_str());
  if (!d) return fail_sys("list snapshots");
  while (auto* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  closedir(d);
  return out;
}

}  // namespace berth::image
