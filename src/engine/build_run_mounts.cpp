#include "engine/build_run_mounts.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.hpp"
#include "common/log.hpp"
#include "engine/build/copy_sources.hpp"
#include "engine/build_copy.hpp"
#include "engine/path_in_root.hpp"
#include "image/digest.hpp"
#include "image/safe_path.hpp"

namespace berth::engine {

using nlohmann::json;
namespace b = build;

namespace {

// The real host path of a file opened beneath a root (its symlinks resolved inside it).
Result<std::string> real_path(int fd) {
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  char buf[4096];
  ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
  if (n < 0) return fail_sys("readlink " + link);
  return std::string(buf, size_t(n));
}

// The source below its root: ".." that climbs out is refused, as is a symlink that leads out.
Result<UniqueFd> open_source(int root, const std::string& rel, const std::string& source) {
  auto fd = image::open_beneath(root, rel, O_PATH);
  if (!fd) {
    if (fd.error().errnum == ENOENT || fd.error().errnum == ENOTDIR)
      return fail(ErrorKind::Invalid, "bind source " + source + ": no such file or directory");
    return fail(ErrorKind::Invalid, "bind source " + source + " leads outside its root: " + fd.error().message);
  }
  return fd;
}

const char* sharing_name(b::CacheSharing s) {
  switch (s) {
    case b::CacheSharing::Shared: return "shared";
    case b::CacheSharing::Private: return "private";
    case b::CacheSharing::Locked: return "locked";
  }
  return "";
}

}  // namespace

std::string build_cache_mounts_dir(const std::string& data_root) { return path_join(data_root, "build-mounts/cache"); }

Result<std::unique_ptr<RunMounts>> RunMounts::resolve(const std::vector<b::RunMount>& mounts, const RunMountContext& ctx) {
  std::unique_ptr<RunMounts> r(new RunMounts());
  r->ctx_ = ctx;
  for (auto& m : mounts) {
    Item it{m, clean_abs_path(m.target.starts_with("/") ? m.target : ctx.workdir + "/" + m.target), "", ""};
    if (it.target == "/") return fail(ErrorKind::Invalid, "--mount target cannot be the root directory");
    std::string key = "target=" + it.target;
    switch (m.type) {
      case b::MountType::Tmpfs:
        key = "tmpfs " + key + " size=" + std::to_string(m.size.value_or(0));
        break;
      case b::MountType::Cache: {
        if (!m.from.empty() || !m.source.empty())
          return fail(ErrorKind::Invalid, "--mount=type=cache: from= and source= are not supported by this builder");
        key = "cache " + key + " id=" + m.id + " sharing=" + sharing_name(m.sharing) + " mode=" +
              std::to_string(m.mode.value_or(0755)) + " uid=" + std::to_string(m.uid.value_or(0)) +
              " gid=" + std::to_string(m.gid.value_or(0)) + (m.readonly ? " ro" : "");
        break;
      }
      case b::MountType::Bind: {
        it.rel = BERTH_TRY(b::context_path(m.source.empty() ? "." : m.source), "--mount source");
        key = "bind " + key + " source=" + it.rel + (m.readonly ? " ro" : " rw");
        if (!m.from.empty()) {
          it.image = BERTH_TRY(ctx.image_of(m.from), "--mount from=" + m.from);
          key += " image=" + it.image;
          // The source is checked when the image is mounted (prepare).
        } else {
          UniqueFd root(::open(ctx.context_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
          if (!root) return fail_sys("open the context");
          BERTH_CHECK(open_source(root.get(), it.rel, m.source), "");
          // What the RUN sees of the context is part of its key, as COPY's files are.
          auto files = BERTH_TRY(b::resolve_copy_sources(root.get(), {it.rel.empty() ? "." : it.rel}, "/", "/",
                                                         "RUN --mount"),
                                 "--mount source");
          key += " files=" + files.checksum.str();
        }
        break;
      }
    }
    r->key_.push_back(key);
    r->items_.push_back(std::move(it));
  }
  return r;
}

Result<> RunMounts::prepare(image::ImageService& images, json& hc) {
  if (!hc.contains("Mounts")) hc["Mounts"] = json::array();
  for (auto& it : items_) {
    const auto& m = it.m;
    if (m.type == b::MountType::Tmpfs) {
      if (!hc.contains("Tmpfs")) hc["Tmpfs"] = json::object();
      hc["Tmpfs"][it.target] = m.size ? "size=" + std::to_string(*m.size) : "";
      continue;
    }
    std::string source;
    if (m.type == b::MountType::Cache) {
      BERTH_CHECK(mkdir_p(ctx_.cache_dir, 0700), "cache mount");
      std::string name = image::Digest::of(m.id).hex();
      source = path_join(ctx_.cache_dir, name);
      if (m.sharing != b::CacheSharing::Shared) {
        std::string lock = source + ".lock";
        UniqueFd fd(::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
        if (!fd) return fail_sys("cache mount " + m.id + ": open " + lock);
        if (::flock(fd.get(), LOCK_EX) != 0) return fail_sys("cache mount " + m.id + ": lock");
        locks_.push_back(std::move(fd));
      }
      if (::mkdir(source.c_str(), 0700) == 0) {
        if (::chown(source.c_str(), m.uid.value_or(0), m.gid.value_or(0)) != 0 ||
            ::chmod(source.c_str(), m.mode.value_or(0755)) != 0)
          return fail_sys("cache mount " + m.id);
      } else if (errno != EEXIST) {
        return fail_sys("cache mount " + m.id + ": mkdir " + source);
      }
    } else if (!it.image.empty()) {
      views_.push_back(BERTH_TRY(RootfsView::open(images, it.image), "--mount from=" + m.from));
      auto fd = BERTH_TRY(open_source(views_.back()->fd(), it.rel, m.source), "--mount from=" + m.from);
      source = BERTH_TRY(real_path(fd.get()), "");  // rw writes land in the view's upper, thrown away
    } else {
      UniqueFd root(::open(ctx_.context_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!root) return fail_sys("open the context");
      auto fd = BERTH_TRY(open_source(root.get(), it.rel, m.source), "");
      source = BERTH_TRY(real_path(fd.get()), "");
      if (!m.readonly) {
        // The context stays as it came: rw writes go to a copy.
        BERTH_CHECK(mkdir_p(path_join(images.root(), "tmp"), 0700), "");
        std::string copy = path_join(images.root(), "tmp/build-mount-XXXXXX");
        if (!::mkdtemp(copy.data())) return fail_sys("--mount rw copy");
        copies_.push_back(copy);
        auto files = BERTH_TRY(b::resolve_copy_sources(root.get(), {it.rel.empty() ? "." : it.rel}, "/", "/",
                                                       "RUN --mount"),
                               "");
        BERTH_CHECK(stage_copy(root.get(), files, copy, CopyOwnership{}), "--mount rw copy");
        struct stat st;
        if (::fstat(fd.get(), &st) != 0) return fail_sys("stat " + m.source);
        source = S_ISDIR(st.st_mode) ? copy : path_join(copy, image::base_of(it.rel));
      }
    }
    hc["Mounts"].push_back({{"Type", "bind"}, {"Source", source}, {"Target", it.target}, {"ReadOnly", m.readonly}});
  }
  return {};
}

RunMounts::~RunMounts() {
  views_.clear();
  for (auto& c : copies_)
    if (auto r = remove_all(c); !r) log::warn("build: " + r.error().what());
}

}  // namespace berth::engine
