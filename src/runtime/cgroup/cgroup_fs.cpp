#include "runtime/cgroup/cgroup_fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <thread>

#include "common/fd.hpp"
#include "common/fs.hpp"

namespace berth::runtime::cg {

Result<> write(const std::string& dir, const std::string& file, std::string_view value) {
  // One write(2): the kernel parses each write of an interface file as a whole value.
  std::string path = dir + "/" + file;
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fd) return fail_sys("open " + path);
  ssize_t n;
  do n = ::write(fd.get(), value.data(), value.size());
  while (n < 0 && errno == EINTR);
  if (n < 0) return fail_sys("write \"" + std::string(value) + "\" to " + path);
  return {};
}

Result<std::string> read(const std::string& dir, const std::string& file) {
  auto r = berth::read_file(dir + "/" + file);
  if (!r) return fail(r.error());
  return berth::trim(*r);
}

Result<uint64_t> read_u64(const std::string& dir, const std::string& file) {
  auto s = BERTH_TRY(read(dir, file), "");
  if (s == "max") return kMax;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) {
    // v1 reports "-1"-like unlimited values as huge numbers; anything else is malformed.
    return fail(ErrorKind::Internal, dir + "/" + file + ": not a number: " + s);
  }
  return v;
}

bool has(const std::string& dir, const std::string& file) { return ::access((dir + "/" + file).c_str(), F_OK) == 0; }

std::map<std::string, uint64_t> parse_keyed(std::string_view text) {
  std::map<std::string, uint64_t> out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    auto sp = line.find(' ');
    if (sp == std::string_view::npos) continue;
    std::string_view val = line.substr(sp + 1);
    uint64_t v = 0;
    if (val == "max") v = kMax;
    else if (std::from_chars(val.data(), val.data() + val.size(), v).ec != std::errc()) continue;
    out[std::string(line.substr(0, sp))] = v;
  }
  return out;
}

std::vector<uint64_t> parse_list(std::string_view text) {
  std::vector<uint64_t> out;
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    while (p < end && (*p == ' ' || *p == '\n')) ++p;
    if (p >= end) break;
    uint64_t v = 0;
    auto [q, ec] = std::from_chars(p, end, v);
    if (ec != std::errc()) break;
    out.push_back(v);
    p = q;
  }
  return out;
}

Result<std::vector<std::string>> make_dirs(const std::string& dir) {
  std::vector<std::string> missing;
  std::string cur = dir;
  while (!cur.empty() && cur != "/" && !berth::is_dir(cur)) {
    missing.push_back(cur);
    cur = cur.substr(0, cur.find_last_of('/'));
  }
  std::vector<std::string> created;
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0755) != 0 && errno != EEXIST) {
      int e = errno;
      remove_created(created);
      return fail(sys_error("mkdir " + *it, e));
    }
    created.push_back(*it);
  }
  return created;
}

void remove_created(const std::vector<std::string>& created) {
  for (auto it = created.rbegin(); it != created.rend(); ++it) (void)remove_tree(*it);
}

std::vector<std::string> ancestors_of(const std::vector<std::string>& created, const std::vector<std::string>& leaves) {
  std::vector<std::string> out;
  for (auto& c : created)
    for (auto& l : leaves)
      if (l.starts_with(c + "/")) {
        out.push_back(c);
        break;
      }
  return out;
}

void remove_empty_parents(const std::vector<std::string>& parents) {
  for (auto it = parents.rbegin(); it != parents.rend(); ++it) (void)::rmdir(it->c_str());
}

static std::vector<std::string> subdirs(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    if (e->d_type == DT_DIR || (e->d_type == DT_UNKNOWN && berth::is_dir(dir + "/" + n))) out.push_back(dir + "/" + n);
  }
  ::closedir(d);
  return out;
}

Result<> remove_tree(const std::string& dir) {
  for (auto& sub : subdirs(dir)) BERTH_CHECK(remove_tree(sub), "");
  // The kernel may still hold the cgroup for a moment after its last task was reaped.
  for (int attempt = 0;; ++attempt) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return {};
    // v1 keeps a dead task's cgroup busy until the task is reaped, which is another process's
    // job (the init's parent): wait up to ~5 s, then fail loudly rather than leave it silently.
    if (errno != EBUSY || attempt >= 510) return fail_sys("rmdir " + dir);
    std::this_thread::sleep_for(std::chrono::milliseconds(attempt < 10 ? 1 : 10));
  }
}

Result<std::vector<pid_t>> procs_recursive(const std::string& dir) {
  std::vector<pid_t> out;
  auto text = berth::read_file(dir + "/cgroup.procs");
  if (!text) {
    if (text.error().errnum == ENOENT && !berth::is_dir(dir)) return out;
    return fail(text.error());
  }
  for (auto v : parse_list(*text)) out.push_back(static_cast<pid_t>(v));
  for (auto& sub : subdirs(dir)) {
    auto more = BERTH_TRY(procs_recursive(sub), "");
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

Result<> add_pid(const std::string& dir, pid_t pid) { return write(dir, "cgroup.procs", std::to_string(pid)); }

bool block_device_exists(int64_t major, int64_t minor) {
  return berth::path_exists("/sys/dev/block/" + std::to_string(major) + ":" + std::to_string(minor));
}

std::vector<std::string> hugepage_sizes() {
  std::vector<std::string> out;
  DIR* d = ::opendir("/sys/kernel/mm/hugepages");
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;  // hugepages-2048kB
    if (!n.starts_with("hugepages-") || !n.ends_with("kB")) continue;
    uint64_t kb = std::stoull(n.substr(10, n.size() - 12));
    if (kb >= 1024 * 1024 && kb % (1024 * 1024) == 0) out.push_back(std::to_string(kb / 1024 / 1024) + "GB");
    else if (kb >= 1024 && kb % 1024 == 0) out.push_back(std::to_string(kb / 1024) + "MB");
    else out.push_back(std::to_string(kb) + "KB");
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

std::string limit_v2(int64_t v) { return v < 0 ? "max" : std::to_string(v); }

}  // namespace berth::runtime::cg
