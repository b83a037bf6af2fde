#include "runtime/cgroup/cgroup_join.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>
#include <cstring>

#include "common/fs.hpp"

namespace berth::runtime {
namespace {

constexpr unsigned long long kCloneIntoCgroup = 0x200000000ULL;

struct CloneArgs {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

void collect(const nlohmann::json& saved, CgroupJoin& out) {
  if (!saved.is_object()) return;
  std::string layout = saved.value("layout", "");
  if (layout == "v1" && saved.contains("dirs")) {
    for (auto& [k, v] : saved["dirs"].items())
      if (v.is_string()) out.v1_dirs.push_back(v);
  } else if (layout == "v2") {
    out.v2_dir = saved.value("root", "") + saved.value("path", "");
  } else if (layout == "hybrid") {
    collect(saved.value("v1", nlohmann::json()), out);
    collect(saved.value("v2", nlohmann::json()), out);
  }
}

}  // namespace

Result<CgroupJoin> plan_cgroup_join(const nlohmann::json& saved) {
  CgroupJoin j;
  collect(saved, j);
  if (!j.v2_dir.empty()) {
    j.v2_fd = UniqueFd(open(j.v2_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!j.v2_fd) return fail_sys("open cgroup " + j.v2_dir);
  }
  return j;
}

std::vector<std::string> all_dirs(const CgroupJoin& j) {
  auto out = j.v1_dirs;
  if (!j.v2_dir.empty()) out.push_back(j.v2_dir);
  return out;
}

pid_t clone_into(unsigned long flags, const CgroupJoin* j) {
  CloneArgs a{};
  a.flags = flags;
  a.exit_signal = SIGCHLD;
  if (j && j->v2_fd) {
    a.flags |= kCloneIntoCgroup;
    a.cgroup = static_cast<uint64_t>(j->v2_fd.get());
  }
  // Born non-dumpable: until it execs, the child is a copy of this binary, and no container
  // process may reach it through /proc/<pid>/exe, fd or mem (the CVE-2019-5736 class). The flag
  // belongs to the address space, so the child inherits it; execve gives the container's
  // program its own. Ours is restored at once.
  int was = prctl(PR_GET_DUMPABLE);
  if (was > 0) prctl(PR_SET_DUMPABLE, 0);
  long r = syscall(SYS_clone3, &a, sizeof a);
  if (r < 0 && (errno == ENOSYS || errno == E2BIG) && !(a.flags & kCloneIntoCgroup))
    r = syscall(SYS_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, 0);
  if (r != 0 && was > 0) {
    int e = errno;
    prctl(PR_SET_DUMPABLE, was);
    errno = e;
  }
  return static_cast<pid_t>(r);
}

Result<> join_v1_self(const CgroupJoin& j) {
  for (const auto& d : j.v1_dirs) BERTH_CHECK(write_file(d + "/tasks", "0"), "join cgroup " + d);
  return {};
}

}  // namespace berth::runtime
