// The compiled-program cache. A loaded program weakens nothing only if it is exactly what
// libseccomp would produce, so an entry is used only when:
//  - the directory and the file belong to us and nobody else can write them (no symlinks);
//  - the stored key equals the full key (the file name is just a hash of it);
//  - the stored instruction count matches the bytes that follow (no truncated programs).
// Entries are written to a temp name and renamed, so readers see whole files only.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <functional>

#include "common/fd.hpp"
#include "common/log.hpp"
#include "runtime/seccomp/seccomp.hpp"
#include "runtime/seccomp/seccomp_cache.hpp"

namespace berth::runtime {
namespace {

constexpr std::string_view kMagic = "berth-seccomp-bpf 1\n";
constexpr size_t kMaxEntries = 64;  // distinct profiles kept; more clears the cache

std::string file_name(const std::string& key) {
  char buf[32];
  snprintf(buf, sizeof buf, "%016zx.bpf", std::hash<std::string>{}(key));
  return buf;
}

bool private_to_us(const struct stat& st) { return st.st_uid == geteuid() && (st.st_mode & 022) == 0; }

UniqueFd open_dir(const std::string& cache_dir, bool create) {
  if (cache_dir.empty()) return {};
  if (create && mkdir(cache_dir.c_str(), 0700) != 0 && errno != EEXIST) return {};
  UniqueFd d(open(cache_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  struct stat st;
  if (!d || fstat(d.get(), &st) != 0 || !private_to_us(st)) {
    if (d) log::debug("seccomp cache " + cache_dir + ": not private to this user, not used");
    return {};
  }
  return d;
}

std::string header(const std::string& key, size_t insns) {
  return std::string(kMagic) + std::to_string(key.size()) + " " + std::to_string(insns) + "\n" + key;
}

}  // namespace

std::optional<std::vector<sock_filter>> seccomp_cache_load(const std::string& cache_dir, const std::string& key) {
  UniqueFd dir = open_dir(cache_dir, false);
  if (!dir) return std::nullopt;
  UniqueFd f(openat(dir.get(), file_name(key).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  struct stat st;
  if (!f || fstat(f.get(), &st) != 0 || !S_ISREG(st.st_mode) || !private_to_us(st)) return std::nullopt;
  if (st.st_size > static_cast<off_t>(key.size() + 64 + BPF_MAXINSNS * sizeof(sock_filter))) return std::nullopt;
  std::string data(static_cast<size_t>(st.st_size), '\0');
  if (pread(f.get(), data.data(), data.size(), 0) != st.st_size) return std::nullopt;
  // Header: magic, "<key length> <instruction count>\n", the key, then the program.
  if (data.compare(0, kMagic.size(), kMagic) != 0) return std::nullopt;
  size_t nl = data.find('\n', kMagic.size());
  if (nl == std::string::npos) return std::nullopt;
  size_t key_len = 0, insns = 0;
  if (sscanf(data.c_str() + kMagic.size(), "%zu %zu", &key_len, &insns) != 2) return std::nullopt;
  if (key_len != key.size() || insns == 0 || insns > BPF_MAXINSNS) return std::nullopt;
  if (data.compare(nl + 1, key_len, key) != 0) return std::nullopt;
  size_t off = nl + 1 + key_len;
  if (data.size() - off != insns * sizeof(sock_filter)) return std::nullopt;
  std::vector<sock_filter> prog(insns);
  std::memcpy(prog.data(), data.data() + off, insns * sizeof(sock_filter));
  return prog;
}

void seccomp_cache_store(const std::string& cache_dir, const std::string& key, const std::vector<sock_filter>& program) {
  UniqueFd dir = open_dir(cache_dir, true);
  if (!dir) return;
  // Bounded: a stream of distinct profiles clears the cache instead of filling /run.
  if (DIR* d = fdopendir(dup(dir.get()))) {
    std::vector<std::string> names;
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') names.push_back(e->d_name);
    closedir(d);
    if (names.size() >= kMaxEntries)
      for (auto& n : names) unlinkat(dir.get(), n.c_str(), 0);
  }
  std::string name = file_name(key);
  std::string tmp = "." + name + "." + std::to_string(getpid());
  std::string data = header(key, program.size());
  data.append(reinterpret_cast<const char*>(program.data()), program.size() * sizeof(sock_filter));
  UniqueFd f(openat(dir.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!f) return;
  bool ok = write(f.get(), data.data(), data.size()) == static_cast<ssize_t>(data.size());
  f.reset();
  if (!ok || renameat(dir.get(), tmp.c_str(), dir.get(), name.c_str()) != 0) unlinkat(dir.get(), tmp.c_str(), 0);
}

}  // namespace berth::runtime
