// Mount option strings (as in fstab and the OCI spec) -> mount(2) flags and data.
#include <sys/mount.h>

#include <cstring>

#include "runtime/process/mount_flags.hpp"

namespace berth::runtime {
namespace {
struct Opt {
  const char* name;
  bool clear;
  unsigned long flag;
};
constexpr Opt kFlags[] = {
    {"defaults", false, 0},          {"ro", false, MS_RDONLY},          {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},    {"suid", true, MS_NOSUID},         {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},         {"noexec", false, MS_NOEXEC},      {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS}, {"async", true, MS_SYNCHRONOUS},   {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},  {"mand", false, MS_MANDLOCK},      {"nomand", true, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},  {"atime", true, MS_NOATIME},       {"nodiratime", false, MS_NODIRATIME},
    {"diratime", true, MS_NODIRATIME}, {"relatime", false, MS_RELATIME}, {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME}, {"nostrictatime", true, MS_STRICTATIME},
    {"lazytime", false, MS_LAZYTIME}, {"nolazytime", true, MS_LAZYTIME}, {"silent", false, MS_SILENT},
    {"loud", true, MS_SILENT},       {"iversion", false, MS_I_VERSION}, {"noiversion", true, MS_I_VERSION},
};
struct Prop {
  const char* name;
  unsigned long flag;
};
constexpr Prop kProps[] = {
    {"private", MS_PRIVATE}, {"rprivate", MS_PRIVATE | MS_REC}, {"shared", MS_SHARED},
    {"rshared", MS_SHARED | MS_REC}, {"slave", MS_SLAVE}, {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};
// Recursive read-only and friends (mount_setattr) are applied as their plain form; idmap and
// tmpcopyup are runtime extensions handled elsewhere or ignored.
constexpr const char* kIgnored[] = {"tmpcopyup", "idmap", "ridmap", "rro", "rrw", "rnosuid", "rsuid",
                                    "rnodev", "rdev", "rnoexec", "rexec", "rnoatime", "ratime"};
}  // namespace

MountFlags parse_mount_options(const std::vector<std::string>& options) {
  MountFlags f;
  for (const auto& o : options) {
    if (o == "bind") {
      f.bind = true;
      continue;
    }
    if (o == "rbind") {
      f.bind = f.recursive = true;
      continue;
    }
    bool done = false;
    for (const auto& e : kFlags)
      if (o == e.name) {
        if (e.clear) {
          f.set &= ~e.flag;
          f.clear |= e.flag;
        } else {
          f.set |= e.flag;
          f.clear &= ~e.flag;
        }
        done = true;
        break;
      }
    for (const auto& p : kProps)
      if (!done && o == p.name) {
        f.propagation |= p.flag;
        done = true;
      }
    if (o == "rro") f.set |= MS_RDONLY;
    for (const char* ig : kIgnored)
      if (!done && o == ig) done = true;
    if (done) continue;
    if (!f.data.empty()) f.data += ',';
    f.data += o;
  }
  return f;
}

}  // namespace berth::runtime
