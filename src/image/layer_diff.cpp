#include "image/layer_diff.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <map>
#include <vector>

#include "common/fd.hpp"
#include "image/whiteout.hpp"

namespace berth::image {

namespace {

uint32_t to_container(const std::vector<IdRangeMap>& map, uint32_t host_id) {
  for (auto& r : map)
    if (host_id >= r.host && host_id - r.host < r.size) return r.container + (host_id - r.host);
  return 65534;
}

struct DiffSink {
  const ByteSink* sink;
  Sha256 hash;
  uint64_t size = 0;
  Error err;
  bool failed = false;
};

la_ssize_t diff_sink_write(archive*, void* ud, const void* buf, size_t n) {
  auto* o = static_cast<DiffSink*>(ud);
  auto r = (*o->sink)(std::string_view(static_cast<const char*>(buf), n));
  if (!r) {
    o->failed = true;
    o->err = r.error();
    return -1;
  }
  o->hash.update(buf, n);
  o->size += n;
  return static_cast<la_ssize_t>(n);
}

struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

class Walker {
 public:
  Walker(archive* a, DiffSink& out, const DiffOptions& o) : a_(a), out_(out), opts_(o) {}

  Result<> dir(int dfd, const std::string& prefix) {
    DIR* d = fdopendir(dup(dfd));
    if (!d) return fail_sys("open directory \"" + prefix + "\"");
    std::vector<std::string> names;
    while (auto* e = readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    closedir(d);
    std::sort(names.begin(), names.end());
    for (auto& n : names) BERTH_CHECK(one(dfd, prefix, n), "");
    return {};
  }

  // name in dfd, archived as `as`.
  Result<> entry(int dfd, const std::string& name, const std::string& as) { return one(dfd, "", name, &as); }

 private:
  Result<> one(int dfd, const std::string& prefix, const std::string& name, const std::string* as = nullptr) {
    std::string rel = as ? *as : prefix.empty() ? name : prefix + "/" + name;
    struct stat st;
    if (fstatat(dfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return fail_sys("stat \"" + rel + "\"");
    if (S_ISSOCK(st.st_mode)) return {};
    std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
    if (opts_.overlay_whiteouts && is_overlay_whiteout(st)) {
      std::string wh = (prefix.empty() ? "" : prefix + "/") + std::string(kWhiteoutPrefix) + name;
      return empty_file(wh, st);
    }
    archive_entry_copy_stat(e.get(), &st);
    if (!opts_.uid_map.empty()) archive_entry_set_uid(e.get(), to_container(opts_.uid_map, st.st_uid));
    if (!opts_.gid_map.empty()) archive_entry_set_gid(e.get(), to_container(opts_.gid_map, st.st_gid));
    archive_entry_set_pathname(e.get(), S_ISDIR(st.st_mode) ? (rel + "/").c_str() : rel.c_str());
    std::string proc = "/proc/self/fd/" + std::to_string(dfd) + "/" + name;
    BERTH_CHECK(xattrs(e.get(), proc), "\"" + rel + "\"");
    if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t n = readlinkat(dfd, name.c_str(), target.data(), target.size());
      if (n < 0) return fail_sys("readlink \"" + rel + "\"");
      target.resize(static_cast<size_t>(n));
      archive_entry_set_symlink(e.get(), target.c_str());
    }
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      auto key = std::make_pair(st.st_dev, st.st_ino);
      auto it = links_.find(key);
      if (it != links_.end()) {
        archive_entry_set_hardlink(e.get(), it->second.c_str());
        archive_entry_set_size(e.get(), 0);
        return header(e.get(), rel);
      }
      links_[key] = rel;
    }
    if (!S_ISREG(st.st_mode)) archive_entry_set_size(e.get(), 0);
    BERTH_CHECK(header(e.get(), rel), "");
    if (S_ISREG(st.st_mode) && st.st_size > 0) BERTH_CHECK(data(dfd, name, rel), "");
    if (S_ISDIR(st.st_mode) && opts_.recursive) {
      UniqueFd sub(openat(dfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub) return fail_sys("open directory \"" + rel + "\"");
      if (opts_.overlay_whiteouts && is_opaque(sub.get()))
        BERTH_CHECK(empty_file(rel + "/" + std::string(kOpaqueMarker), st), "");
      BERTH_CHECK(dir(sub.get(), rel), "");
    }
    return {};
  }

  Result<> xattrs(archive_entry* e, const std::string& proc) {
    char names[8192];
    ssize_t n = llistxattr(proc.c_str(), names, sizeof names);
    if (n < 0) return errno == ENOTSUP ? Result<>{} : fail_sys("list xattrs");
    for (ssize_t i = 0; i < n;) {
      std::string xn = names + i;
      i += static_cast<ssize_t>(xn.size()) + 1;
      if (xn.rfind("trusted.overlay.", 0) == 0) continue;  // overlay bookkeeping is not content
      char val[65536];
      ssize_t vl = lgetxattr(proc.c_str(), xn.c_str(), val, sizeof val);
      if (vl < 0) continue;
      archive_entry_xattr_add_entry(e, xn.c_str(), val, static_cast<size_t>(vl));
    }
    return {};
  }

  Result<> empty_file(const std::string& path, const struct stat& like) {
    std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
    archive_entry_set_pathname(e.get(), path.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0644);
    archive_entry_set_size(e.get(), 0);
    archive_entry_set_mtime(e.get(), like.st_mtim.tv_sec, like.st_mtim.tv_nsec);
    return header(e.get(), path);
  }

  Result<> header(archive_entry* e, const std::string& rel) {
    if (archive_write_header(a_, e) != ARCHIVE_OK) return fail(werr("write header \"" + rel + "\""));
    return {};
  }

  Result<> data(int dfd, const std::string& name, const std::string& rel) {
    UniqueFd fd(openat(dfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return fail_sys("open \"" + rel + "\"");
    std::vector<char> buf(256 * 1024);
    while (true) {
      ssize_t n = read(fd.get(), buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail_sys("read \"" + rel + "\"");
      if (n == 0) break;
      if (archive_write_data(a_, buf.data(), static_cast<size_t>(n)) < 0) return fail(werr("write \"" + rel + "\""));
    }
    return {};
  }

  Error werr(const std::string& ctx) {
    if (out_.failed) return out_.err.wrap(ctx);
    const char* m = archive_error_string(a_);
    return make_error(ErrorKind::Internal, ctx + ": " + (m ? m : "archive error"));
  }

  archive* a_;
  DiffSink& out_;
  const DiffOptions& opts_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

}  // namespace

namespace {

// Runs walk with a PAX tar writer on sink.
Result<DiffResult> write_tar(const ByteSink& sink, const DiffOptions& opts, const std::function<Result<>(Walker&)>& walk,
                             const std::string& ctx) {
  DiffSink out;
  out.sink = &sink;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_set_bytes_per_block(a, 10240);
  archive_write_set_bytes_in_last_block(a, 1);
  if (archive_write_open(a, &out, nullptr, diff_sink_write, nullptr) != ARCHIVE_OK) {
    archive_write_free(a);
    return fail(ErrorKind::Internal, "open tar writer");
  }
  Walker w(a, out, opts);
  auto r = walk(w);
  int closed = archive_write_close(a);
  archive_write_free(a);
  if (!r) return fail(r.error().wrap(ctx));
  if (closed != ARCHIVE_OK || out.failed)
    return fail(out.failed ? out.err.wrap(ctx) : make_error(ErrorKind::Internal, "close tar"));
  return DiffResult{out.hash.finish(), out.size};
}

}  // namespace

Result<DiffResult> write_layer_tar(const std::string& dir, const ByteSink& sink, const DiffOptions& opts) {
  UniqueFd root(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail_sys("open " + dir);
  return write_tar(sink, opts, [&](Walker& w) { return w.dir(root.get(), ""); }, "write layer from " + dir);
}

Result<DiffResult> write_entry_tar(int dirfd, const std::string& name, const std::string& as, const ByteSink& sink,
                                   const DiffOptions& opts) {
  return write_tar(sink, opts, [&](Walker& w) { return w.entry(dirfd, name, as); }, "archive \"" + as + "\"");
}

Result<DiffResult> write_entries_tar(const std::vector<TarEntry>& entries, const ByteSink& sink, const DiffOptions& opts) {
  return write_tar(
      sink, opts,
      [&](Walker& w) -> Result<> {
        for (auto& e : entries) BERTH_CHECK(w.entry(e.dirfd, e.name, e.as), "");
        return {};
      },
      "archive");
}

}  // namespace berth::image
