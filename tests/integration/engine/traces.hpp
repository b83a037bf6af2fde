// What a container leaves on the host while it exists: its overlay mount, its cgroup, its
// shim process. Tests check that each is gone after removal.
#pragma once
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace berth::engine::test {

inline bool mounted(const std::string& needle) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.find(needle) != std::string::npos) return true;
  return false;
}

inline bool cgroup_exists(const std::string& id) {
  for (const char* root : {"/sys/fs/cgroup", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified"})
    if (std::filesystem::exists(std::string(root) + "/berth/" + id)) return true;
  return false;
}

// The container's cgroup directory in any hierarchy ("" when there is none).
inline std::string cgroup_left(const std::string& id) {
  for (auto& h : std::filesystem::directory_iterator("/sys/fs/cgroup")) {
    auto p = h.path() / "berth" / id;
    if (std::filesystem::exists(p)) return p;
  }
  if (std::filesystem::exists("/sys/fs/cgroup/berth/" + id)) return "/sys/fs/cgroup/berth/" + id;
  return "";
}

// A process whose command line holds needle (the shim holds the container's ID in its flags).
inline bool process_with(const std::string& needle) {
  for (auto& e : std::filesystem::directory_iterator("/proc")) {
    std::ifstream in(e.path() / "cmdline");
    std::string cmd((std::istreambuf_iterator<char>(in)), {});
    if (cmd.find(needle) != std::string::npos) return true;
  }
  return false;
}

inline std::string cmdline(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// Shims whose command line names `needle` (a container id, or a daemon's exec root).
inline int shims_running(const std::string& needle) {
  int n = 0;
  for (auto& e : std::filesystem::directory_iterator("/proc")) {
    auto name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    auto cmd = cmdline(std::stoi(name));
    if (cmd.find("berth-shim") != std::string::npos && cmd.find(needle) != std::string::npos) ++n;
  }
  return n;
}
inline bool shim_running(const std::string& id) { return shims_running(id) > 0; }

// Alive and not a zombie (a dead process nobody has reaped yet still answers kill 0).
inline bool process_alive(pid_t pid) {
  if (pid <= 0) return false;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  auto paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return false;
  char state = stat[paren + 2];
  return state != 'Z' && state != 'X';
}

// Resident set size of a process in KiB (VmRSS), -1 when unknown.
inline long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

}  // namespace berth::engine::test
