#include "engine/build/build_context.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "common/fd.hpp"
#include "engine/build/dockerignore.hpp"
#include "image/layer_apply.hpp"
#include "image/safe_path.hpp"

namespace berth::engine::build {
namespace {

// The whole of a regular file opened beneath rootfd, or nullopt when it does not exist.
Result<std::optional<std::string>> read_beneath(int rootfd, const std::string& rel) {
  auto fd = image::open_beneath(rootfd, rel, O_RDONLY | O_CLOEXEC);
  if (!fd) {
    if (fd.error().errnum == ENOENT) return std::nullopt;
    return std::unexpected(fd.error());
  }
  std::string out;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd->get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_sys("read " + rel);
    }
    if (n == 0) break;
    out.append(buf, size_t(n));
    if (out.size() > (64u << 20)) return fail(ErrorKind::Invalid, rel + " is larger than 64 MiB");
  }
  return out;
}

}  // namespace

Result<> extract_context(int fd, const std::string& dir) {
  image::ApplyOptions opts;
  opts.overlay_whiteouts = false;  // a context is plain files: ".wh." names are refused
  auto r = image::apply_layer(fd, dir, opts);
  if (!r) return fail(r.error().wrap("read build context"));
  return {};
}

Result<std::string> take_dockerfile(const std::string& dir, std::string_view path) {
  std::string rel = clean_path(path.empty() ? "Dockerfile" : path);
  if (rel.starts_with('/')) rel = clean_path(rel.substr(1));
  if (rel == ".." || rel.starts_with("../")) {
    return fail(ErrorKind::Invalid, "the Dockerfile (" + std::string(path) + ") must be within the build context");
  }
  UniqueFd root(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail_sys("open build context " + dir);
  auto text = read_beneath(root.get(), rel);
  if (!text) return std::unexpected(text.error());
  if (!*text) {
    return fail(ErrorKind::Invalid, "Cannot locate specified Dockerfile: " + std::string(path.empty() ? "Dockerfile" : path));
  }
  auto ignore_text = read_beneath(root.get(), ".dockerignore");
  if (!ignore_text) return std::unexpected(ignore_text.error());
  if (*ignore_text) {
    auto ignore = Dockerignore::parse(**ignore_text);
    if (!ignore) return fail(ignore.error().wrap("error reading .dockerignore"));
    for (const auto& f : ignore->build_files_to_remove(rel)) {
      auto parent = image::open_parent(root.get(), f, false);
      if (!parent) return std::unexpected(parent.error());
      if (::unlinkat(parent->first.get(), parent->second.c_str(), 0) != 0 && errno != ENOENT) {
        return fail_sys("remove " + f + " from the build context");
      }
    }
  }
  return std::move(**text);
}

}  // namespace berth::engine::build
