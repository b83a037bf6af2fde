#include "engine/userns_remap.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <charconv>
#include <sstream>

#include "common/fd.hpp"
#include "common/fs.hpp"
#include "common/text.hpp"

namespace berth::engine {

namespace {

constexpr const char* kDefaultUser = "dockremap";
constexpr uint32_t kRangeStart = 100000, kRangeSize = 65536;

struct Subid {
  std::string owner;
  uint32_t start = 0, size = 0;
};

// "owner:start:count" lines; malformed ones are skipped, as shadow's tools skip them.
std::vector<Subid> parse_subids(const std::string& text) {
  std::vector<Subid> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto a = line.find(':'), b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    auto start = parse_decimal<uint32_t>(line.substr(a + 1, b - a - 1)), size = parse_decimal<uint32_t>(trim(line.substr(b + 1)));
    if (!start || !size || *size == 0) continue;
    out.push_back({line.substr(0, a), *start, *size});
  }
  return out;
}

// The ranges of owner (by name, else by id), each mapped after the previous in the container.
Result<std::vector<IdRange>> ranges_of(const std::string& path, const std::string& name, uint32_t id,
                                       const std::string& kind, const std::string& what) {
  auto text = read_file(path);
  std::vector<Subid> all = text ? parse_subids(*text) : std::vector<Subid>{};
  std::vector<IdRange> out;
  uint32_t next = 0;
  for (const std::string& key : {name, std::to_string(id)}) {
    for (auto& s : all)
      if (s.owner == key) {
        out.push_back({next, s.start, s.size});
        next += s.size;
      }
    if (!out.empty()) return out;
  }
  return fail(ErrorKind::Invalid, "no " + kind + " ranges found for " + what + " \"" + name + "\" in " + path +
                                      (text ? "" : " (" + text.error().message + ")"));
}

// shadow's tools by absolute path (only async-signal-safe calls after the fork); their output
// goes into the error when they fail. Not a hot path: once per berthd start, and only for "default".
Result<> run_tool(const std::vector<std::string>& argv) {
  std::string cmd;
  for (auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
  std::string path = "/usr/sbin/" + argv[0];
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return fail_sys("pipe");
  UniqueFd rd(p[0]), wr(p[1]);
  pid_t pid = fork();
  if (pid < 0) return fail_sys("fork " + cmd);
  if (pid == 0) {
    dup2(wr.get(), 1);
    dup2(wr.get(), 2);
    execv(path.c_str(), args.data());
    _exit(127);
  }
  wr.reset();
  std::string out;
  char buf[512];
  for (ssize_t n; (n = read(rd.get(), buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
    return fail(ErrorKind::Internal, "userns-remap: " + cmd + " failed: " + trim(out));
  return {};
}

// dockerd's AddNamespaceRangesUser: the system user, then ranges for it where it has none.
Result<> ensure_default_user(const SubidFiles& files) {
  if (!getpwnam(kDefaultUser)) BERTH_CHECK(run_tool({"useradd", "--system", "-s", "/bin/false", kDefaultUser}), "");
  for (auto [path, flag] : {std::pair{files.subuid, "-v"}, std::pair{files.subgid, "-w"}}) {
    auto text = read_file(path);
    std::string t = text ? *text : "";
    bool has = std::ranges::any_of(parse_subids(t), [](const Subid& s) { return s.owner == kDefaultUser; });
    if (has) continue;
    uint32_t start = next_free_subid_start(t, kRangeSize);
    BERTH_CHECK(run_tool({"usermod", flag, std::to_string(start) + "-" + std::to_string(start + kRangeSize - 1),
                          kDefaultUser}),
                "");
  }
  return {};
}

}  // namespace

uint32_t next_free_subid_start(const std::string& subid_text, uint32_t size) {
  auto ranges = parse_subids(subid_text);
  std::ranges::sort(ranges, {}, &Subid::start);
  uint64_t start = kRangeStart;
  for (auto& r : ranges)
    if (start < uint64_t{r.start} + r.size && uint64_t{r.start} < start + size) start = uint64_t{r.start} + r.size;
  return static_cast<uint32_t>(start);
}

Result<std::optional<UsernsRemap>> resolve_userns_remap(const std::string& value, const SubidFiles& files) {
  if (value.empty()) return std::optional<UsernsRemap>{};
  const std::string ctx = "userns-remap \"" + value + "\"";
  std::string user = value, group;
  if (auto c = value.find(':'); c != std::string::npos) {
    user = value.substr(0, c);
    group = value.substr(c + 1);
    if (user.empty() || group.empty()) return fail(ErrorKind::Invalid, ctx + ": expected user, user:group or uid:gid");
  }
  if (value == "default") {
    BERTH_CHECK(ensure_default_user(files), ctx);
    user = group = kDefaultUser;
  }
  // Names or numeric ids; a number need not name an account (dockerd looks the name up when there is one).
  UsernsRemap r;
  uint32_t uid = 0, gid = 0;
  if (auto n = parse_decimal<uint32_t>(user)) {
    uid = *n;
    const passwd* pw = getpwuid(uid);
    r.user = pw ? pw->pw_name : user;
  } else {
    const passwd* pw = getpwnam(user.c_str());
    if (!pw) return fail(ErrorKind::Invalid, ctx + ": no such user \"" + user + "\"");
    uid = pw->pw_uid;
    r.user = user;
    if (group.empty()) gid = pw->pw_gid;
  }
  // Without a group: the group named as the user (dockerd's lookup), else the user's primary one.
  std::string gname = group.empty() ? r.user : group;
  if (!group.empty()) {
    if (auto n = parse_decimal<uint32_t>(group)) {
      gid = *n;
      const struct group* gr = getgrgid(gid);
      gname = gr ? gr->gr_name : group;
    } else {
      const struct group* gr = getgrnam(group.c_str());
      if (!gr) return fail(ErrorKind::Invalid, ctx + ": no such group \"" + group + "\"");
      gid = gr->gr_gid;
    }
  } else if (const struct group* gr = getgrnam(gname.c_str())) {
    gid = gr->gr_gid;
  }
  r.group = gname;
  r.uids = BERTH_TRY(ranges_of(files.subuid, r.user, uid, "subuid", "user"), ctx);
  r.gids = BERTH_TRY(ranges_of(files.subgid, r.group, gid, "subgid", "group"), ctx);
  return std::optional<UsernsRemap>(std::move(r));
}

}  // namespace berth::engine
