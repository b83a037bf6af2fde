#include "image/layer_apply.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "image/archive_reader.hpp"
#include "image/content_store.hpp"
#include "image/safe_path.hpp"
#include "image/whiteout.hpp"

namespace berth::image {

namespace {

constexpr size_t kBuf = 256 * 1024;

// Stage 1: the blob bytes from fd, hashed as they pass.
struct BlobSource {
  int fd = -1;
  Sha256 hash;
  std::vector<char> buf = std::vector<char>(kBuf);
  bool error = false;
};

la_ssize_t blob_read(archive* a, void* ud, const void** out) {
  auto* s = static_cast<BlobSource*>(ud);
  while (true) {
    ssize_t n = ::read(s->fd, s->buf.data(), s->buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      archive_set_error(a, errno, "read layer blob");
      return -1;
    }
    s->hash.update(s->buf.data(), static_cast<size_t>(n));
    *out = s->buf.data();
    return n;
  }
}

// Stage 2: the decompressed stream (libarchive "raw" format over all filters), hashed again:
// that digest is the diff ID. Optionally copied to a content writer.
struct TarSource {
  archive* raw = nullptr;
  bool raw_eof = false;
  Sha256 hash;
  uint64_t size = 0;
  ContentWriter* copy = nullptr;
  Error copy_error;
  bool copy_failed = false;
  std::vector<char> buf = std::vector<char>(kBuf);
};

la_ssize_t tar_read(archive* a, void* ud, const void** out) {
  auto* s = static_cast<TarSource*>(ud);
  if (s->raw_eof) return 0;
  la_ssize_t n = archive_read_data(s->raw, s->buf.data(), s->buf.size());
  if (n < 0) {
    archive_set_error(a, archive_errno(s->raw), "%s", archive_error_string(s->raw));
    return -1;
  }
  if (n == 0) s->raw_eof = true;
  s->hash.update(s->buf.data(), static_cast<size_t>(n));
  s->size += static_cast<uint64_t>(n);
  if (s->copy && n > 0 && !s->copy_failed) {
    auto r = s->copy->write(std::string_view(s->buf.data(), static_cast<size_t>(n)));
    if (!r) {
      s->copy_failed = true;
      s->copy_error = r.error();
    }
  }
  *out = s->buf.data();
  return n;
}


Error archive_error(archive* a, const std::string& ctx) {
  const char* m = archive_error_string(a);
  return make_error(ErrorKind::Invalid, ctx + ": " + (m ? m : "unknown archive error"));
}

// The two-stage reader shared by apply and decompress.
struct LayerReader {
  BlobSource blob;
  TarSource tar;
  ArchivePtr raw{archive_read_new()};
  ArchivePtr tarball{archive_read_new()};
  bool empty = false;

  explicit LayerReader(int fd) { blob.fd = fd; }

  Result<> open(bool parse_tar) {
    archive_read_support_filter_all(raw.get());
    archive_read_support_format_raw(raw.get());
    if (archive_read_open(raw.get(), &blob, nullptr, blob_read, nullptr) != ARCHIVE_OK)
      return fail(archive_error(raw.get(), "open layer"));
    archive_entry* e;
    int r = archive_read_next_header(raw.get(), &e);
    if (r == ARCHIVE_EOF) {
      empty = true;
      tar.raw_eof = true;
    } else if (r != ARCHIVE_OK) {
      return fail(archive_error(raw.get(), "read layer"));
    }
    tar.raw = raw.get();
    if (!parse_tar || empty) return {};
    archive_read_support_format_tar(tarball.get());
    archive_read_support_format_empty(tarball.get());
    if (archive_read_open(tarball.get(), &tar, nullptr, tar_read, nullptr) != ARCHIVE_OK)
      return fail(archive_error(tarball.get(), "open layer tar"));
    return {};
  }

  // Reads what the tar parser left (end-of-archive padding) so both digests cover everything.
  Result<> drain() {
    const void* p;
    while (!tar.raw_eof) {
      if (tar_read(raw.get(), &tar, &p) < 0) return fail(archive_error(raw.get(), "read layer"));
    }
    // The raw reader may stop at the end of the compressed stream; hash any trailing bytes too.
    while (true) {
      const void* q;
      la_ssize_t n = blob_read(raw.get(), &blob, &q);
      if (n < 0) return fail_sys("read layer blob");
      if (n == 0) break;
    }
    return {};
  }
};

struct DirTimes {
  std::string path;
  timespec times[2];
};

class Applier {
 public:
  Applier(int rootfd, const ApplyOptions& o) : root_(rootfd), opts_(o) {}

  Result<> entry(archive* a, archive_entry* e) {
    const char* raw_name = archive_entry_pathname(e);
    std::string name = raw_name ? raw_name : "";
    auto clean = clean_entry_path(name);
    if (!clean) return fail(clean.error().wrap("layer"));
    const std::string& rel = *clean;
    if (rel.empty()) return {};  // the root itself keeps the snapshot's own metadata
    std::string base = base_of(rel);
    auto wh = classify_whiteout(base);
    if (!wh) return fail(wh.error().wrap("layer entry \"" + name + "\""));
    if (wh->kind != WhiteoutKind::None) {
      if (!opts_.overlay_whiteouts)
        return fail(ErrorKind::Invalid, "layer entry \"" + name + "\": whiteout in a root filesystem archive");
      return whiteout(name, rel, *wh);
    }
    auto [parent, b] = BERTH_TRY(open_parent(root_, rel, true), "layer entry \"" + name + "\"");
    int pfd = parent.get();
    const char* hardlink = archive_entry_hardlink(e);
    struct stat st;
    bool exists = fstatat(pfd, b.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
    auto type = archive_entry_filetype(e);
    if (exists && opts_.no_overwrite_dir_non_dir && S_ISDIR(st.st_mode) != (type == AE_IFDIR && !hardlink))
      return fail(ErrorKind::Invalid, S_ISDIR(st.st_mode)
                                          ? "cannot overwrite directory \"/" + rel + "\" with non-directory \"/" + rel + "\""
                                          : "cannot overwrite non-directory \"/" + rel + "\" with directory \"/" + rel + "\"");
    if (exists && !(S_ISDIR(st.st_mode) && type == AE_IFDIR && !hardlink))
      BERTH_CHECK(remove_at(pfd, b), "layer entry \"" + name + "\": replace");
    if (hardlink) return link(name, pfd, b, hardlink);
    mode_t mode = archive_entry_perm(e);
    switch (type) {
      case AE_IFDIR:
        if (!exists && mkdirat(pfd, b.c_str(), 0700) != 0) return fail_sys("layer entry \"" + name + "\": mkdir");
        break;
      case AE_IFREG:
        BERTH_CHECK(write_file(a, e, pfd, b), "layer entry \"" + name + "\"");
        break;
      case AE_IFLNK: {
        const char* target = archive_entry_symlink(e);
        if (symlinkat(target ? target : "", pfd, b.c_str()) != 0)
          return fail_sys("layer entry \"" + name + "\": symlink");
        break;
      }
      case AE_IFCHR:
      case AE_IFBLK:
      case AE_IFIFO:
        if (mknodat(pfd, b.c_str(), static_cast<mode_t>(type) | 0600, archive_entry_rdev(e)) != 0)
          return fail_sys("layer entry \"" + name + "\": mknod");
        break;
      case AE_IFSOCK:
        return {};  // sockets are not carried in images
      default:
        return fail(ErrorKind::Invalid, "layer entry \"" + name + "\": unsupported file type");
    }
    BERTH_CHECK(metadata(e, pfd, b, type, mode, rel), "layer entry \"" + name + "\"");
    return {};
  }

  Result<> finish() {
    // Directory times last: creating children changed them.
    for (auto it = dir_times_.rbegin(); it != dir_times_.rend(); ++it) {
      auto fd = open_beneath(root_, it->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      if (fd) futimens(fd->get(), it->times);
    }
    return {};
  }

 private:
  Result<> whiteout(const std::string& name, const std::string& rel, const WhiteoutName& wh) {
    auto [parent, b] = BERTH_TRY(open_parent(root_, rel, true), "layer entry \"" + name + "\"");
    if (wh.kind == WhiteoutKind::Meta) return {};
    if (wh.kind == WhiteoutKind::Opaque) {
      std::string dir = parent_of(rel);
      auto dfd = BERTH_TRY(open_beneath(root_, dir, O_RDONLY | O_DIRECTORY), "layer entry \"" + name + "\"");
      BERTH_CHECK(set_opaque(dfd.get()), "layer entry \"" + name + "\"");
      return {};
    }
    BERTH_CHECK(remove_at(parent.get(), wh.target), "layer entry \"" + name + "\"");
    BERTH_CHECK(make_overlay_whiteout(parent.get(), wh.target), "layer entry \"" + name + "\"");
    return {};
  }

  Result<> link(const std::string& name, int pfd, const std::string& b, const char* target) {
    auto clean = clean_entry_path(target);
    if (!clean) return fail(clean.error().wrap("layer entry \"" + name + "\": hard link target"));
    if (clean->empty()) return fail(ErrorKind::Invalid, "layer entry \"" + name + "\": hard link to the root");
    auto [tparent, tb] = BERTH_TRY(open_parent(root_, *clean, false), "layer entry \"" + name + "\": hard link target");
    if (linkat(tparent.get(), tb.c_str(), pfd, b.c_str(), 0) != 0)
      return fail_sys("layer entry \"" + name + "\": hard link to \"" + *clean + "\"");
    return {};
  }

  Result<> write_file(archive* a, archive_entry* e, int pfd, const std::string& b) {
    int fd = openat(pfd, b.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return fail_sys("create file");
    UniqueFd guard(fd);
    const void* buf;
    size_t len;
    la_int64_t off;
    while (true) {
      int r = archive_read_data_block(a, &buf, &len, &off);
      if (r == ARCHIVE_EOF) break;
      if (r != ARCHIVE_OK) return fail(archive_error(a, "read file data"));
      const char* p = static_cast<const char*>(buf);
      while (len > 0) {
        ssize_t n = pwrite(fd, p, len, off);
        if (n < 0) {
          if (errno == EINTR) continue;
          return fail_sys("write file");
        }
        p += n;
        off += n;
        len -= static_cast<size_t>(n);
      }
    }
    if (ftruncate(fd, archive_entry_size(e)) != 0) return fail_sys("truncate file");
    return {};
  }

  Result<> metadata(archive_entry* e, int pfd, const std::string& b, unsigned type, mode_t mode,
                    const std::string& rel) {
    auto uid = opts_.chown ? opts_.chown->first : static_cast<uid_t>(archive_entry_uid(e));
    auto gid = opts_.chown ? opts_.chown->second : static_cast<gid_t>(archive_entry_gid(e));
    if (fchownat(pfd, b.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0)
      return fail_sys("chown");
    // xattrs through the already-resolved parent: /proc/self/fd/N/name never leaves it.
    std::string proc = "/proc/self/fd/" + std::to_string(pfd) + "/" + b;
    archive_entry_xattr_reset(e);
    const char* xname;
    const void* xval;
    size_t xlen;
    while (archive_entry_xattr_next(e, &xname, &xval, &xlen) == ARCHIVE_OK) {
      // A layer may not forge overlay metadata (redirects, opaque markers other than .wh..wh..opq).
      if (strncmp(xname, "trusted.overlay.", 16) == 0) continue;
      if (lsetxattr(proc.c_str(), xname, xval, xlen, 0) != 0 && errno != ENOTSUP && errno != EPERM)
        return fail_sys(std::string("set xattr ") + xname);
    }
    // NOFOLLOW: the entry may have been swapped for a symlink since it was made (a container
    // writing to the same tree); following it would chmod whatever it points at.
    if (type != AE_IFLNK && fchmodat(pfd, b.c_str(), mode & 07777, AT_SYMLINK_NOFOLLOW) != 0) return fail_sys("chmod");
    timespec times[2];
    times[0].tv_sec = archive_entry_atime_is_set(e) ? archive_entry_atime(e) : archive_entry_mtime(e);
    times[0].tv_nsec = archive_entry_atime_is_set(e) ? archive_entry_atime_nsec(e) : archive_entry_mtime_nsec(e);
    times[1].tv_sec = archive_entry_mtime(e);
    times[1].tv_nsec = archive_entry_mtime_nsec(e);
    if (type == AE_IFDIR) {
      dir_times_.push_back({rel, {times[0], times[1]}});
      return {};
    }
    utimensat(pfd, b.c_str(), times, AT_SYMLINK_NOFOLLOW);
    return {};
  }

  int root_;
  const ApplyOptions& opts_;
  std::vector<DirTimes> dir_times_;
};

Result<> check_digests(const ApplyResult& res, const ApplyOptions& opts) {
  if (opts.expected_blob_digest && *opts.expected_blob_digest != res.blob_digest)
    return fail(ErrorKind::Invalid,
                "layer digest mismatch: expected " + opts.expected_blob_digest->str() + ", got " + res.blob_digest.str());
  if (opts.expected_diff_id && *opts.expected_diff_id != res.diff_id)
    return fail(ErrorKind::Invalid, "layer diff ID mismatch: rootfs.diff_ids says " + opts.expected_diff_id->str() +
                                        ", uncompressed layer is " + res.diff_id.str());
  return {};
}

// The header-only pass of validate_first.
Result<> validate_entries(int fd, const ApplyOptions& opts) {
  LayerReader rd(fd);
  BERTH_CHECK(rd.open(true), "read archive");
  if (rd.empty) return {};
  archive* t = rd.tarball.get();
  std::vector<std::string> links;  // symlinks the archive itself makes
  archive_entry* e;
  while (true) {
    int r = archive_read_next_header(t, &e);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return fail(archive_error(t, "read tar header"));
    const char* raw = archive_entry_pathname(e);
    std::string rel = BERTH_TRY(clean_entry_path(raw ? raw : ""), "");
    if (!opts.overlay_whiteouts) {
      auto wh = BERTH_TRY(classify_whiteout(base_of(rel)), "");
      if (wh.kind != WhiteoutKind::None) return fail(ErrorKind::Invalid, "entry \"" + rel + "\": whiteout refused");
    }
    for (auto& l : links)
      if (rel.size() > l.size() && rel.starts_with(l) && rel[l.size()] == '/')
        return fail(ErrorKind::Invalid, "entry \"" + rel + "\": path goes through the archive's symlink \"" + l + "\"");
    if (const char* h = archive_entry_hardlink(e)) BERTH_CHECK(clean_entry_path(h), "entry \"" + rel + "\": hard link");
    if (archive_entry_filetype(e) == AE_IFLNK) links.push_back(rel);
    archive_read_data_skip(t);
  }
  return {};
}

}  // namespace

Result<ApplyResult> apply_layer(int fd, const std::string& root, const ApplyOptions& opts) {
  UniqueFd rootfd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!rootfd) return fail_sys("open layer root " + root);
  return apply_layer_at(fd, rootfd.get(), opts);
}

Result<ApplyResult> apply_layer_at(int fd, int rootfd, const ApplyOptions& opts) {
  if (opts.validate_first) {
    BERTH_CHECK(validate_entries(fd, opts), "apply layer");
    if (lseek(fd, 0, SEEK_SET) != 0) return fail_sys("apply layer: rewind");
  }
  LayerReader rd(fd);
  BERTH_CHECK(rd.open(true), "apply layer");
  Applier ap(rootfd, opts);
  ApplyResult res;
  if (!rd.empty) {
    archive* t = rd.tarball.get();
    archive_entry* e;
    while (true) {
      int r = archive_read_next_header(t, &e);
      if (r == ARCHIVE_EOF) break;
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return fail(archive_error(t, "apply layer: read tar header"));
      BERTH_CHECK(ap.entry(t, e), "apply layer");
      ++res.entries;
    }
    BERTH_CHECK(ap.finish(), "apply layer");
  }
  BERTH_CHECK(rd.drain(), "apply layer");
  res.diff_id = rd.tar.hash.finish();
  res.blob_digest = rd.blob.hash.finish();
  res.uncompressed_size = rd.tar.size;
  BERTH_CHECK(check_digests(res, opts), "apply layer");
  return res;
}

Result<ApplyResult> decompress_layer(int fd, ContentWriter* out) {
  LayerReader rd(fd);
  BERTH_CHECK(rd.open(false), "decompress layer");
  rd.tar.copy = out;
  BERTH_CHECK(rd.drain(), "decompress layer");
  if (rd.tar.copy_failed) return fail(rd.tar.copy_error.wrap("decompress layer"));
  ApplyResult res;
  res.diff_id = rd.tar.hash.finish();
  res.blob_digest = rd.blob.hash.finish();
  res.uncompressed_size = rd.tar.size;
  return res;
}

}  // namespace berth::image
