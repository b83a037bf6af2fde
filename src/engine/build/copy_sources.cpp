#include "engine/build/copy_sources.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "common/fd.hpp"
#include "engine/build/classic_hash.hpp"
#include "engine/build/dockerignore.hpp"
#include "image/safe_path.hpp"

namespace berth::engine::build {
namespace {

bool has_wildcards(std::string_view p) {
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '\\') {
      ++i;
    } else if (p[i] == '*' || p[i] == '?' || p[i] == '[') {
      return true;
    }
  }
  return false;
}

std::string join(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (b.empty()) return std::string(a);
  return std::string(a) + "/" + std::string(b);
}

Result<std::vector<std::string>> list_dir(int dirfd, const std::string& what) {
  int dup = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup < 0) return fail_sys("open " + what);
  DIR* d = ::fdopendir(dup);
  if (!d) {
    ::close(dup);
    return fail_sys("list " + what);
  }
  std::vector<std::string> names;
  while (auto* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  ::closedir(d);
  std::ranges::sort(names);
  return names;
}

// Expands a glob one component at a time: the context paths that match, sorted.
Result<std::vector<std::string>> glob(int rootfd, const std::string& pattern) {
  std::vector<std::string> found{""};
  size_t i = 0;
  while (i <= pattern.size()) {
    size_t j = std::min(pattern.find('/', i), pattern.size());
    std::string comp = pattern.substr(i, j - i);
    std::vector<std::string> next;
    for (const auto& base : found) {
      if (!has_wildcards(comp)) {
        next.push_back(join(base, comp));
        continue;
      }
      auto dir = image::open_beneath(rootfd, base, O_RDONLY | O_DIRECTORY);
      if (!dir) continue;  // not a directory (or gone): nothing below it matches
      auto names = list_dir(dir->get(), base.empty() ? "." : base);
      if (!names) return std::unexpected(names.error());
      for (const auto& n : *names) {
        if (::fnmatch(comp.c_str(), n.c_str(), 0) == 0) next.push_back(join(base, n));
      }
    }
    found = std::move(next);
    i = j + 1;
  }
  // Literal components after a glob may name nothing: keep what exists. A match that leads
  // out of the context (a symlink) is left out, never read; a source named without a glob
  // that does so is an error instead.
  std::vector<std::string> out;
  for (auto& f : found) {
    if (image::open_beneath(rootfd, f, O_PATH)) out.push_back(f);
  }
  return out;
}

class Collector {
 public:
  Collector(std::vector<CopyEntry>& out, HeaderStyle style) : out_(out), style_(style) {}

  // One entry from an open fd (regular files are hashed from it).
  Result<> add(int fd, const struct stat& st, const std::string& source, const std::string& dest,
               std::string link_target = "") {
    CopyEntry e;
    e.type = S_ISREG(st.st_mode) ? CopyEntry::File
             : S_ISDIR(st.st_mode) ? CopyEntry::Dir
             : S_ISLNK(st.st_mode) ? CopyEntry::Symlink
                                   : CopyEntry::Other;
    e.source = source;
    e.dest = dest;
    e.mode = st.st_mode & 07777;
    e.uid = st.st_uid;
    e.gid = st.st_gid;
    e.size = e.type == CopyEntry::File ? uint64_t(st.st_size) : 0;
    e.link_target = std::move(link_target);
    std::string line = std::to_string(int(e.type)) + " " + e.dest + " " + std::to_string(e.mode) + " " +
                       std::to_string(e.uid) + ":" + std::to_string(e.gid) + " " + std::to_string(e.size) + " " +
                       e.link_target;
    hash_.update(std::to_string(line.size()) + ":" + line);
    image::Sha256 classic;
    classic.update(classic_header(source, st, e.link_target, style_));
    if (e.type == CopyEntry::File) BERTH_CHECK(hash_contents(fd, source, classic), "");
    // The context's root itself is not among a directory's hashes (dockerd's walk skips ".").
    if (!source.empty()) classic_.push_back(classic.finish().hex());
    out_.push_back(std::move(e));
    return {};
  }

  // The classic hashes of the entries added since the last call.
  std::vector<std::string> take_classic() { return std::exchange(classic_, {}); }

  // The contents of an open directory, recursively, symlinks not followed.
  Result<> walk(int dirfd, const std::string& source, const std::string& dest) {
    auto names = list_dir(dirfd, source.empty() ? "." : source);
    if (!names) return std::unexpected(names.error());
    for (const auto& n : *names) {
      std::string src = join(source, n), dst = dest == "/" ? "/" + n : dest + "/" + n;
      struct stat st;
      if (::fstatat(dirfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return fail_sys("stat " + src);
      if (S_ISLNK(st.st_mode)) {
        std::string target(size_t(st.st_size) + 1, '\0');
        ssize_t len = ::readlinkat(dirfd, n.c_str(), target.data(), target.size());
        if (len < 0) return fail_sys("readlink " + src);
        target.resize(size_t(len));
        BERTH_CHECK(add(-1, st, src, dst, target), "");
        continue;
      }
      int flags = O_NOFOLLOW | O_CLOEXEC | (S_ISDIR(st.st_mode) ? O_RDONLY | O_DIRECTORY : S_ISREG(st.st_mode) ? O_RDONLY : O_PATH);
      UniqueFd fd(::openat(dirfd, n.c_str(), flags));
      if (!fd) return fail_sys("open " + src);
      BERTH_CHECK(add(fd.get(), st, src, dst), "");
      if (S_ISDIR(st.st_mode)) BERTH_CHECK(walk(fd.get(), src, dst), "");
    }
    return {};
  }

  image::Digest finish() { return hash_.finish(); }

 private:
  Result<> hash_contents(int fd, const std::string& what, image::Sha256& classic) {
    image::Sha256 content;
    char buf[65536];
    while (true) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        return fail_sys("read " + what);
      }
      if (n == 0) break;
      content.update(buf, size_t(n));
      classic.update(buf, size_t(n));
    }
    hash_.update(content.finish().hex());
    return {};
  }

  std::vector<CopyEntry>& out_;
  image::Sha256 hash_;
  std::vector<std::string> classic_;
  HeaderStyle style_;
};

}  // namespace

Result<std::string> context_path(std::string_view source) {
  std::string p = clean_path(source);
  if (p == ".." || p.starts_with("../")) {
    return fail(ErrorKind::Invalid, "forbidden path outside the build context: " + std::string(source));
  }
  while (p.starts_with('/')) p.erase(0, 1);
  return p == "." ? "" : p;
}

Result<CopySources> resolve_copy_sources(int context_fd, const std::vector<std::string>& sources,
                                         std::string_view dest, std::string_view workdir, std::string_view instruction,
                                         bool from_image) {
  // Where things land. A dest ending in "/" (or ".") is a directory.
  bool dest_is_dir = dest.ends_with('/') || dest == "." || dest.ends_with("/.");
  std::string dest_abs = clean_path(dest.starts_with('/') ? std::string(dest) : "/" + std::string(workdir) + "/" + std::string(dest));

  std::vector<std::string> paths;
  for (const auto& s : sources) {
    auto rel = context_path(s);
    if (!rel) return std::unexpected(rel.error());
    if (!has_wildcards(*rel)) {
      paths.push_back(*rel);
      continue;
    }
    auto matches = glob(context_fd, *rel);
    if (!matches) return std::unexpected(matches.error());
    paths.insert(paths.end(), matches->begin(), matches->end());
  }
  if (paths.empty()) return fail(ErrorKind::Invalid, "no source files were specified");
  if (paths.size() > 1 && !dest_is_dir) {
    return fail(ErrorKind::Invalid, "When using " + std::string(instruction) +
                                        " with more than one source file, the destination must be a directory and end with a /");
  }

  CopySources out;
  Collector c(out.entries, from_image ? HeaderStyle::Image : HeaderStyle::Context);
  std::vector<std::string> classic;  // one per source path
  for (const auto& rel : paths) {
    // The source itself may be a symlink inside the context: it is followed, never out.
    auto fd = image::open_beneath(context_fd, rel, O_PATH);
    if (!fd) {
      if (fd.error().errnum == ENOENT || fd.error().errnum == ENOTDIR) {
        return fail(ErrorKind::Invalid, "file not found in build context or excluded by .dockerignore: stat " +
                                            (rel.empty() ? "." : rel) + ": file does not exist");
      }
      return std::unexpected(fd.error().wrap(std::string(instruction) + " source"));
    }
    struct stat st;
    if (::fstat(fd->get(), &st) != 0) return fail_sys("stat " + rel);
    if (S_ISDIR(st.st_mode)) {
      auto dir = image::open_beneath(context_fd, rel, O_RDONLY | O_DIRECTORY);
      if (!dir) return std::unexpected(dir.error());
      BERTH_CHECK(c.add(dir->get(), st, rel, dest_abs), "");
      BERTH_CHECK(c.walk(dir->get(), rel, dest_abs), "");
      classic.push_back(classic_hash_list("dir", c.take_classic(), true));
      continue;
    }
    std::string to = dest_is_dir ? (dest_abs == "/" ? "" : dest_abs) + "/" + image::base_of(rel) : dest_abs;
    if (S_ISREG(st.st_mode)) {
      auto file = image::open_beneath(context_fd, rel, O_RDONLY);
      if (!file) return std::unexpected(file.error());
      BERTH_CHECK(c.add(file->get(), st, rel, to), "");
    } else {
      BERTH_CHECK(c.add(-1, st, rel, to), "");
    }
    auto h = c.take_classic();
    classic.push_back("file:" + (h.empty() ? std::string() : h[0]));
  }
  out.checksum = c.finish();
  out.classic_hash = classic.size() == 1 ? classic[0] : classic_hash_list("multi", classic, false);
  return out;
}

}  // namespace berth::engine::build
