#include "engine/capabilities.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>

namespace berth::engine {

namespace {

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

}  // namespace

const std::vector<std::string>& docker_default_caps() {
  static const std::vector<std::string> caps = {
      "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
      "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"};
  return caps;
}

const std::vector<std::string>& known_caps() {
  static const std::vector<std::string> caps = {
      "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
      "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
      "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO",
      "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
      "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
      "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
      "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"};
  return caps;
}

std::vector<std::string> host_bounding_caps() {
  std::ifstream f("/proc/self/status");
  std::string line;
  uint64_t mask = 0;
  while (std::getline(f, line))
    if (line.rfind("CapBnd:", 0) == 0) mask = std::stoull(line.substr(7), nullptr, 16);
  std::vector<std::string> out;
  const auto& all = known_caps();
  for (size_t i = 0; i < all.size(); ++i)
    if (mask & (uint64_t{1} << i)) out.push_back(all[i]);
  return out;
}

Result<std::string> normalize_cap(const std::string& name) {
  std::string up;
  for (char c : name) up += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (up == "ALL") return up;
  if (up.rfind("CAP_", 0) != 0) up = "CAP_" + up;
  if (!has(known_caps(), up)) return fail(ErrorKind::Invalid, "unknown capability: \"" + up + "\"");
  return up;
}

Result<std::vector<std::string>> container_caps(const std::vector<std::string>& add_in,
                                                const std::vector<std::string>& drop_in, bool privileged,
                                                const std::vector<std::string>& host_caps) {
  std::vector<std::string> add, drop, caps;
  for (auto& c : add_in) add.push_back(BERTH_TRY(normalize_cap(c), ""));
  for (auto& c : drop_in) drop.push_back(BERTH_TRY(normalize_cap(c), ""));
  auto grantable = [&](const std::string& c) { return has(host_caps, c); };
  if (privileged) {
    for (auto& c : known_caps())
      if (grantable(c)) caps.push_back(c);
    return caps;
  }
  if (has(add, "ALL")) {
    for (auto& c : known_caps())
      if (!has(drop, c) && grantable(c)) caps.push_back(c);
  } else if (has(drop, "ALL")) {
    for (auto& c : add)
      if (!has(caps, c)) caps.push_back(c);
  } else {
    for (auto& c : docker_default_caps())
      if (!has(drop, c)) caps.push_back(c);
    for (auto& c : add)
      if (!has(caps, c)) caps.push_back(c);
  }
  return caps;
}

}  // namespace berth::engine
