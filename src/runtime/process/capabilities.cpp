#include "runtime/process/capabilities.hpp"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/fs.hpp"

namespace berth::runtime {
namespace {
constexpr const char* kNames[] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
    "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
    "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};
constexpr int kKnown = sizeof(kNames) / sizeof(kNames[0]);

uint64_t current_bounding() {
  uint64_t b = 0;
  for (int c = 0; c <= cap_last(); ++c)
    if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1) b |= 1ULL << c;
  return b;
}
}  // namespace

int cap_last() {
  static int last = [] {
    auto s = read_file("/proc/sys/kernel/cap_last_cap");
    int v = s ? std::stoi(*s) : kKnown - 1;
    return std::min(v, 63);
  }();
  return last;
}

std::vector<std::string> all_cap_names() {
  std::vector<std::string> out;
  for (int c = 0; c <= cap_last(); ++c) out.push_back(cap_name(c));
  return out;
}

Result<int> cap_from_name(std::string_view name) {
  std::string up(name);
  for (auto& ch : up) ch = static_cast<char>(toupper(ch));
  if (up.rfind("CAP_", 0) != 0) up = "CAP_" + up;
  for (int i = 0; i < kKnown; ++i)
    if (up == kNames[i]) return i;
  return fail(ErrorKind::Invalid, "unknown capability \"" + std::string(name) + "\"");
}

std::string cap_name(int cap) { return cap < kKnown ? kNames[cap] : "CAP_" + std::to_string(cap); }

Result<CapSets> resolve_capabilities(const Capabilities& caps, std::vector<std::string>* dropped) {
  CapSets s;
  auto to_mask = [&](const std::vector<std::string>& names, const char* set, uint64_t& out) -> Result<> {
    for (const auto& n : names) {
      auto c = cap_from_name(n);
      if (!c) return fail(c.error().wrap(std::string("process.capabilities.") + set));
      // A capability newer than this kernel cannot be granted; runc ignores it too.
      if (*c > cap_last()) continue;
      out |= 1ULL << *c;
    }
    return {};
  };
  BERTH_CHECK(to_mask(caps.bounding, "bounding", s.bounding), "");
  BERTH_CHECK(to_mask(caps.effective, "effective", s.effective), "");
  BERTH_CHECK(to_mask(caps.inheritable, "inheritable", s.inheritable), "");
  BERTH_CHECK(to_mask(caps.permitted, "permitted", s.permitted), "");
  BERTH_CHECK(to_mask(caps.ambient, "ambient", s.ambient), "");
  uint64_t have = current_bounding();
  uint64_t missing = (s.bounding | s.effective | s.permitted | s.inheritable | s.ambient) & ~have;
  if (missing && dropped)
    for (int c = 0; c < 64; ++c)
      if (missing & (1ULL << c)) dropped->push_back(cap_name(c));
  s.bounding &= have;
  s.effective &= have;
  s.permitted &= have;
  s.inheritable &= have;
  // Ambient capabilities must also be permitted and inheritable.
  s.ambient &= have & s.permitted & s.inheritable;
  return s;
}

Result<> caps_drop_bounding(const CapSets& s) {
  for (int c = 0; c <= cap_last(); ++c) {
    if (s.bounding & (1ULL << c)) continue;
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL)
      return fail_sys("drop capability " + cap_name(c) + " from the bounding set");
  }
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return fail_sys("prctl PR_SET_KEEPCAPS");
  return {};
}

Result<> caps_apply(const CapSets& s) {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  for (int i = 0; i < 2; ++i) {
    data[i].effective = static_cast<uint32_t>(s.effective >> (32 * i));
    data[i].permitted = static_cast<uint32_t>(s.permitted >> (32 * i));
    data[i].inheritable = static_cast<uint32_t>(s.inheritable >> (32 * i));
  }
  if (syscall(SYS_capset, &hdr, data) != 0) return fail_sys("capset");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    return fail_sys("clear ambient capabilities");
  for (int c = 0; c <= cap_last(); ++c)
    if (s.ambient & (1ULL << c))
      if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) != 0)
        return fail_sys("raise ambient capability " + cap_name(c));
  return {};
}

}  // namespace berth::runtime
