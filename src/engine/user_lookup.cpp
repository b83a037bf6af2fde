#include "engine/user_lookup.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <charconv>
#include <optional>

#include "common/fd.hpp"
#include "common/text.hpp"

namespace berth::engine {

namespace {

// Rows of a colon-separated database, comments and short rows skipped.
template <class F>
void each_row(std::string_view text, size_t min_fields, F&& f) {
  for (auto line : split(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    auto fields = split(line, ':');
    if (fields.size() >= min_fields) f(fields);
  }
}

}  // namespace

Result<ResolvedUser> resolve_user(std::string_view user, std::string_view passwd, std::string_view group) {
  ResolvedUser r;
  if (user.empty()) return r;
  auto colon = user.find(':');
  std::string_view u = user.substr(0, colon);
  std::optional<std::string_view> g;
  if (colon != std::string_view::npos) g = user.substr(colon + 1);
  std::string uname;
  bool found = false;
  each_row(passwd, 7, [&](const std::vector<std::string>& f) {
    if (found) return;
    auto uid = parse_decimal<uint32_t>(f[2]);
    auto gid = parse_decimal<uint32_t>(f[3]);
    if (!uid || !gid) return;
    if (f[0] == u || parse_decimal<uint32_t>(u) == uid) {
      r.uid = *uid;
      r.gid = *gid;
      uname = f[0];
      found = true;
    }
  });
  if (!found) {
    auto n = parse_decimal<uint32_t>(u);
    if (!n) return fail(ErrorKind::Invalid, "unable to find user " + std::string(u) + ": no matching entries in passwd file");
    r.uid = *n;
    r.gid = 0;
  }
  if (g) {
    bool gfound = false;
    each_row(group, 3, [&](const std::vector<std::string>& f) {
      if (gfound) return;
      auto gid = parse_decimal<uint32_t>(f[2]);
      if (gid && (f[0] == *g || parse_decimal<uint32_t>(*g) == gid)) {
        r.gid = *gid;
        gfound = true;
      }
    });
    if (!gfound) {
      auto n = parse_decimal<uint32_t>(*g);
      if (!n) return fail(ErrorKind::Invalid, "unable to find group " + std::string(*g) + ": no matching entries in group file");
      r.gid = *n;
    }
  }
  if (!uname.empty()) {
    each_row(group, 4, [&](const std::vector<std::string>& f) {
      auto gid = parse_decimal<uint32_t>(f[2]);
      if (!gid || *gid == r.gid) return;
      for (auto m : split(f[3], ','))
        if (m == uname) r.additional_gids.push_back(*gid);
    });
  }
  return r;
}

Result<uint32_t> resolve_group(std::string_view name, std::string_view group) {
  std::optional<uint32_t> found;
  each_row(group, 3, [&](const std::vector<std::string>& f) {
    auto gid = parse_decimal<uint32_t>(f[2]);
    if (!found && gid && (f[0] == name || parse_decimal<uint32_t>(name) == gid)) found = gid;
  });
  if (!found) found = parse_decimal<uint32_t>(name);
  if (!found) return fail(ErrorKind::Invalid, "Unable to find group " + std::string(name) + ": no matching entries in group file");
  return *found;
}

std::string read_in_root(const std::string& root, const char* rel) {
  UniqueFd dir(open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return "";
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  UniqueFd fd(static_cast<int>(syscall(SYS_openat2, dir.get(), rel, &how, sizeof how)));
  if (!fd) return "";
  std::string out;
  char buf[8192];
  ssize_t n;
  while ((n = read(fd.get(), buf, sizeof buf)) > 0 && out.size() < (1 << 20)) out.append(buf, static_cast<size_t>(n));
  return out;
}

}  // namespace berth::engine
