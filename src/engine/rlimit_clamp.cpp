#include "engine/rlimit_clamp.hpp"

#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

namespace berth::engine {

namespace {

bool have_sys_resource() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &hdr, data) != 0) return false;
  return data[CAP_SYS_RESOURCE / 32].effective & (1u << (CAP_SYS_RESOURCE % 32));
}

int resource_of(const std::string& name) {
  static const std::map<std::string, int> m = {
      {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_CORE", RLIMIT_CORE},         {"RLIMIT_CPU", RLIMIT_CPU},
      {"RLIMIT_DATA", RLIMIT_DATA},       {"RLIMIT_FSIZE", RLIMIT_FSIZE},       {"RLIMIT_LOCKS", RLIMIT_LOCKS},
      {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
      {"RLIMIT_NOFILE", RLIMIT_NOFILE},   {"RLIMIT_NPROC", RLIMIT_NPROC},       {"RLIMIT_RSS", RLIMIT_RSS},
      {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},     {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
      {"RLIMIT_STACK", RLIMIT_STACK}};
  auto it = m.find(name);
  return it == m.end() ? -1 : it->second;
}

}  // namespace

std::vector<std::string> clamp_rlimits_to_host(nlohmann::json& spec) {
  std::vector<std::string> notes;
  if (have_sys_resource() || !spec.contains("process") || !spec["process"].contains("rlimits")) return notes;
  for (auto& r : spec["process"]["rlimits"]) {
    if (!r.is_object() || !r.contains("type") || !r["type"].is_string()) continue;
    int res = resource_of(r["type"].get<std::string>());
    rlimit cur{};
    if (res < 0 || getrlimit(static_cast<__rlimit_resource>(res), &cur) != 0) continue;
    auto hard = r.value("hard", uint64_t{0}), soft = r.value("soft", uint64_t{0});
    if (cur.rlim_max == RLIM_INFINITY || hard <= cur.rlim_max) continue;
    r["hard"] = static_cast<uint64_t>(cur.rlim_max);
    r["soft"] = std::min<uint64_t>(soft, cur.rlim_max);
    notes.push_back(r["type"].get<std::string>() + " lowered to the host's hard limit " + std::to_string(cur.rlim_max) +
                    " (no CAP_SYS_RESOURCE)");
  }
  return notes;
}

}  // namespace berth::engine
