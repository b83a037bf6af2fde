// What a container leaves on the host while it exists: its mounts, cgroups, shim and the
// processes in it. The log and runtime suites check that none of it outlives the container.
#pragma once
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

}  // namespace berth::engine::test
