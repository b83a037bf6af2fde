// Namespace names as the OCI spec spells them, their clone flags and /proc/PID/ns entries.
#include <sched.h>

#include "common/fs.hpp"
#include "runtime/spec/spec.hpp"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace berth::runtime {
namespace {
struct NsInfo {
  NsType type;
  const char* name;
  const char* proc;
  int flag;
};
constexpr NsInfo kNs[] = {
    {NsType::Pid, "pid", "pid", CLONE_NEWPID},         {NsType::Network, "network", "net", CLONE_NEWNET},
    {NsType::Mount, "mount", "mnt", CLONE_NEWNS},      {NsType::Ipc, "ipc", "ipc", CLONE_NEWIPC},
    {NsType::Uts, "uts", "uts", CLONE_NEWUTS},         {NsType::User, "user", "user", CLONE_NEWUSER},
    {NsType::Cgroup, "cgroup", "cgroup", CLONE_NEWCGROUP}, {NsType::Time, "time", "time", CLONE_NEWTIME},
};
const NsInfo& info(NsType t) {
  for (const auto& i : kNs)
    if (i.type == t) return i;
  return kNs[0];
}
}  // namespace

const char* ns_name(NsType t) { return info(t).name; }
const char* ns_proc_name(NsType t) { return info(t).proc; }
int ns_clone_flag(NsType t) { return info(t).flag; }

Result<NsType> ns_from_name(std::string_view name) {
  for (const auto& i : kNs)
    if (name == i.name) return i.type;
  return fail(ErrorKind::Invalid, "unknown namespace type \"" + std::string(name) + "\"");
}

static std::string id_map_text(const std::vector<IdMapping>& m) {
  std::string s;
  for (auto& e : m)
    s += std::to_string(e.container_id) + " " + std::to_string(e.host_id) + " " + std::to_string(e.size) + "\n";
  return s;
}

Result<> write_id_maps(int pid, const std::vector<IdMapping>& uids, const std::vector<IdMapping>& gids) {
  std::string base = "/proc/" + std::to_string(pid);
  BERTH_CHECK(write_file(base + "/uid_map", id_map_text(uids)), "write uid mappings");
  BERTH_CHECK(write_file(base + "/gid_map", id_map_text(gids)), "write gid mappings");
  return {};
}

}  // namespace berth::runtime
