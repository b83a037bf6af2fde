// Putting a new process into its cgroup without the ~15 ms that a migration by pid costs
// (writing a pid to cgroup.procs takes the global threadgroup lock, an RCU grace period):
// the v2 directory is entered at birth with clone3(CLONE_INTO_CGROUP), and on v1 the child
// moves its own single thread by writing "0" to each hierarchy's `tasks`, which skips that lock.
// Falls back to the parent writing cgroup.procs when the child cannot (a new user namespace).
#pragma once
#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/fd.hpp"

namespace berth::runtime {

struct CgroupJoin {
  std::vector<std::string> v1_dirs;  // host directories in v1 hierarchies
  std::string v2_dir;                // host directory in the unified hierarchy, if any
  UniqueFd v2_fd;                    // O_PATH fd of v2_dir for CLONE_INTO_CGROUP
};

// From CgroupManager::save().
Result<CgroupJoin> plan_cgroup_join(const nlohmann::json& saved);
std::vector<std::string> all_dirs(const CgroupJoin& j);
// fork-like clone3 with namespace flags; into_cgroup uses j.v2_fd. Returns 0 in the child.
pid_t clone_into(unsigned long flags, const CgroupJoin* j);
// Child side: move the calling (single-threaded) process into the v1 directories.
Result<> join_v1_self(const CgroupJoin& j);

}  // namespace berth::runtime
