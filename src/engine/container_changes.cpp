#include "engine/container_changes.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <set>

#include "common/fd.hpp"
#include "engine/path_in_root.hpp"
#include "image/whiteout.hpp"

namespace berth::engine {

namespace {

class Walk {
 public:
  explicit Walk(const std::vector<std::string>& lowers) {
    for (auto& l : lowers) lowers_.emplace_back(::open(l.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  }

  Result<> dir(int dfd, const std::string& prefix) {
    DIR* d = fdopendir(dup(dfd));
    if (!d) return fail_sys("open " + (prefix.empty() ? "/" : prefix));
    std::vector<std::string> names;
    while (auto* e = readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    closedir(d);
    std::sort(names.begin(), names.end());
    for (auto& n : names) BERTH_CHECK(one(dfd, prefix + "/" + n, n), "");
    return {};
  }

  std::vector<Change> out;

 private:
  Result<> one(int dfd, const std::string& path, const std::string& name) {
    struct stat st;
    if (fstatat(dfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return fail_sys("stat " + path);
    UniqueFd sub;
    if (S_ISDIR(st.st_mode)) {
      sub = UniqueFd(openat(dfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub) return fail_sys("open " + path);
    }
    bool deleted = image::is_overlay_whiteout(st) || (sub && image::is_opaque(sub.get()));
    bool record = true;
    ChangeKind kind = ChangeKind::Add;
    if (deleted) {
      kind = ChangeKind::Delete;
    } else if (auto low = in_lower(path)) {
      kind = ChangeKind::Modify;
      // A directory is listed for its children only when nothing about it changed.
      if (S_ISDIR(st.st_mode) && S_ISDIR(low->st_mode) && st.st_size == low->st_size && st.st_mode == low->st_mode &&
          st.st_mtim.tv_sec == low->st_mtim.tv_sec && st.st_mtim.tv_nsec == low->st_mtim.tv_nsec)
        record = false;
    }
    if (S_ISDIR(st.st_mode) && record) changed_dirs_.insert(path);
    if (record && kind != ChangeKind::Modify) {
      std::string parent = path.substr(0, path.rfind('/'));
      if (!parent.empty() && !changed_dirs_.contains(parent)) {
        out.push_back({parent, ChangeKind::Modify});
        changed_dirs_.insert(parent);
      }
    }
    if (record) out.push_back({path, kind});
    if (sub) BERTH_CHECK(dir(sub.get(), path), "");
    return {};
  }

  // The entry in the topmost lower layer that has it; a whiteout there hides the ones below.
  std::optional<struct stat> in_lower(const std::string& path) {
    auto slash = path.rfind('/');
    std::string parent = slash == 0 ? "/" : path.substr(0, slash), base = path.substr(slash + 1);
    for (auto& l : lowers_) {
      // Resolved inside the layer: an image's absolute symlinks must not reach host paths.
      auto pfd = l ? open_in_root(l.get(), parent, O_PATH | O_DIRECTORY) : Result<UniqueFd>(UniqueFd());
      struct stat st;
      if (!pfd || !*pfd || fstatat(pfd->get(), base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      if (image::is_overlay_whiteout(st)) return std::nullopt;
      return st;
    }
    return std::nullopt;
  }

  std::vector<UniqueFd> lowers_;
  std::set<std::string> changed_dirs_;
};

}  // namespace

Result<std::vector<Change>> layer_changes(const std::string& upper, const std::vector<std::string>& lowers) {
  UniqueFd root(::open(upper.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail_sys("open " + upper);
  Walk w(lowers);
  BERTH_CHECK(w.dir(root.get(), ""), "changes of " + upper);
  return std::move(w.out);
}

}  // namespace berth::engine
