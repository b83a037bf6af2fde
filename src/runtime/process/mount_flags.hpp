// Mount option strings (as in fstab and the OCI spec) -> mount flags and filesystem data.
#pragma once
#include <string>
#include <vector>

namespace berth::runtime {

struct MountFlags {
  unsigned long set = 0;          // MS_* to set
  unsigned long clear = 0;        // MS_* explicitly cleared (rw, suid, ...)
  unsigned long propagation = 0;  // MS_PRIVATE | MS_SHARED | ... (| MS_REC)
  bool bind = false, recursive = false;
  std::string data;               // the options the filesystem itself parses
};
MountFlags parse_mount_options(const std::vector<std::string>& options);

}  // namespace berth::runtime
