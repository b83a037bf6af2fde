#include "engine/build_copy.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "common/fd.hpp"
#include "engine/path_in_root.hpp"
#include "image/layer_apply.hpp"
#include "image/safe_path.hpp"

namespace berth::engine {

namespace {

Result<> write_all(int fd, std::string_view data, const std::string& what) {
  while (!data.empty()) {
    ssize_t w = ::write(fd, data.data(), data.size());
    if (w < 0) {
      if (errno == EINTR) continue;
      return fail_sys("write " + what);
    }
    data.remove_prefix(size_t(w));
  }
  return {};
}

Result<> copy_fd(int in, int out, const std::string& what) {
  char buf[65536];
  while (true) {
    ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_sys("read " + what);
    }
    if (n == 0) return {};
    BERTH_CHECK(write_all(out, std::string_view(buf, size_t(n)), what), "");
  }
}

// The entry's image path as a path below the staging root ("/a/b" -> "a/b").
std::string rel_of(const std::string& dest) { return clean_abs_path(dest).substr(1); }

Result<> own_and_mode(int dirfd, const std::string& name, uint32_t uid, uint32_t gid, std::optional<uint32_t> mode,
                      bool symlink) {
  if (::fchownat(dirfd, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0) return fail_sys("chown " + name);
  if (!symlink && mode && ::fchmodat(dirfd, name.c_str(), *mode, 0) != 0) return fail_sys("chmod " + name);
  return {};
}

}  // namespace

Result<uint32_t> parse_chmod(std::string_view text) {
  uint32_t m = 0;
  if (text.empty() || text.size() > 4) return fail(ErrorKind::Invalid, "invalid --chmod value: " + std::string(text));
  for (char c : text) {
    if (c < '0' || c > '7') return fail(ErrorKind::Invalid, "invalid --chmod value: " + std::string(text));
    m = m * 8 + uint32_t(c - '0');
  }
  return m;
}

Result<> stage_copy(int src_root, const build::CopySources& src, const std::string& staging, const CopyOwnership& own) {
  UniqueFd root(::open(staging.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail_sys("open " + staging);
  uint32_t uid = own.uid.value_or(0), gid = own.gid.value_or(0);
  for (const auto& e : src.entries) {
    std::string rel = rel_of(e.dest);
    if (rel.empty()) continue;  // the destination root itself: nothing to write
    std::string what = e.source.empty() ? "." : e.source;
    auto [dir, name] = BERTH_TRY(image::open_parent(root.get(), rel, true), "copy " + what);
    std::optional<uint32_t> mode = own.mode ? own.mode : std::optional<uint32_t>(e.mode);
    switch (e.type) {
      case build::CopyEntry::Dir: {
        if (::mkdirat(dir.get(), name.c_str(), 0755) != 0 && errno != EEXIST) return fail_sys("copy " + what + ": mkdir");
        // An existing entry must be a directory (a file earlier at the same path is replaced).
        struct stat st;
        if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return fail_sys("copy " + what);
        if (!S_ISDIR(st.st_mode)) {
          BERTH_CHECK(image::remove_at(dir.get(), name), "copy " + what);
          if (::mkdirat(dir.get(), name.c_str(), 0755) != 0) return fail_sys("copy " + what + ": mkdir");
        }
        BERTH_CHECK(own_and_mode(dir.get(), name, uid, gid, mode, false), "copy " + what);
        break;
      }
      case build::CopyEntry::File: {
        auto in = BERTH_TRY(image::open_beneath(src_root, e.source, O_RDONLY | O_NOFOLLOW), "copy " + what);
        (void)image::remove_at(dir.get(), name);
        UniqueFd out(::openat(dir.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!out) return fail_sys("copy " + what + ": create " + e.dest);
        BERTH_CHECK(copy_fd(in.get(), out.get(), what), "copy");
        out.reset();
        BERTH_CHECK(own_and_mode(dir.get(), name, uid, gid, mode, false), "copy " + what);
        break;
      }
      case build::CopyEntry::Symlink: {
        (void)image::remove_at(dir.get(), name);
        if (::symlinkat(e.link_target.c_str(), dir.get(), name.c_str()) != 0) return fail_sys("copy " + what + ": symlink");
        BERTH_CHECK(own_and_mode(dir.get(), name, uid, gid, std::nullopt, true), "copy " + what);
        break;
      }
      case build::CopyEntry::Other:
        break;  // sockets, fifos, devices: Docker's COPY skips them as well
    }
  }
  return {};
}

bool is_archive(int src_root, const std::string& source) {
  auto fd = image::open_beneath(src_root, source, O_RDONLY | O_NOFOLLOW);
  if (!fd) return false;
  unsigned char h[262] = {};
  ssize_t n = ::pread(fd->get(), h, sizeof h, 0);
  if (n < 4) return false;
  auto starts = [&](std::initializer_list<unsigned char> m) { return std::equal(m.begin(), m.end(), h); };
  if (starts({0x1f, 0x8b}) || starts({'B', 'Z', 'h'}) || starts({0xfd, '7', 'z', 'X'}) || starts({0x28, 0xb5, 0x2f, 0xfd}))
    return true;
  return n >= 262 && std::memcmp(h + 257, "ustar", 5) == 0;
}

Result<> stage_archive(int src_root, const std::string& source, std::string_view target_dir, const std::string& staging) {
  auto in = BERTH_TRY(image::open_beneath(src_root, source, O_RDONLY | O_NOFOLLOW), "ADD " + source);
  UniqueFd root(::open(staging.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail_sys("open " + staging);
  std::string rel = rel_of(std::string(target_dir));
  UniqueFd target;
  if (rel.empty()) {
    target = std::move(root);
  } else {
    auto [dir, name] = BERTH_TRY(image::open_parent(root.get(), rel, true), "ADD " + source);
    if (::mkdirat(dir.get(), name.c_str(), 0755) != 0 && errno != EEXIST) return fail_sys("ADD " + source + ": mkdir");
    target.reset(::openat(dir.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!target) return fail_sys("ADD " + source + ": open " + std::string(target_dir));
  }
  image::ApplyOptions o;
  o.overlay_whiteouts = false;
  BERTH_CHECK(image::apply_layer_at(in.get(), target.get(), o), "ADD " + source + ": unpack");
  return {};
}

Result<> stage_heredocs(const std::vector<build::Heredoc>& docs, std::string_view dest, std::string_view workdir,
                        const std::string& staging, const CopyOwnership& own) {
  UniqueFd root(::open(staging.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail_sys("open " + staging);
  std::string d(dest);
  bool into_dir = d.ends_with("/") || d == "." || docs.size() > 1;
  if (!d.starts_with("/")) d = std::string(workdir) + "/" + d;
  for (const auto& h : docs) {
    std::string path = clean_abs_path(into_dir ? d + "/" + h.name : d);
    std::string rel = path.substr(1);
    if (rel.empty()) return fail(ErrorKind::Invalid, "COPY: heredoc destination is the root directory");
    auto [dir, name] = BERTH_TRY(image::open_parent(root.get(), rel, true), "copy heredoc " + h.name);
    (void)image::remove_at(dir.get(), name);
    UniqueFd out(::openat(dir.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out) return fail_sys("copy heredoc " + h.name + ": create " + path);
    BERTH_CHECK(write_all(out.get(), h.content, h.name), "copy heredoc");
    out.reset();
    BERTH_CHECK(own_and_mode(dir.get(), name, own.uid.value_or(0), own.gid.value_or(0), own.mode.value_or(0644), false),
                "copy heredoc " + h.name);
  }
  return {};
}

}  // namespace berth::engine
