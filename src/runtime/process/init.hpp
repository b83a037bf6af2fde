// The container's init before exec: the child half of `create`, one ordered list of steps.
#pragma once
#include <string>

#include "runtime/cgroup/cgroup_join.hpp"
#include "runtime/process/process_setup.hpp"
#include "runtime/process/rootfs.hpp"
#include "runtime/spec/spec.hpp"

namespace berth::runtime {

struct InitContext {
  const Spec* spec = nullptr;
  ProcessPlan* plan = nullptr;
  RootfsOptions rootfs;
  int sync_fd = -1;
  int fifo_fd = -1;     // O_PATH fd of <state>/exec.fifo
  int console_fd = -1;  // connected --console-socket, when terminal
  int preserve_fds = 0;
  int unshare_flags = 0;  // namespaces created after joining a user namespace by path
  int parent_joined = 0;  // CLONE_NEW* of the namespaces the parent joined for us around clone
  bool new_cgroupns = false;
  bool self_join_cgroup = false;          // child writes "0" to the v1 tasks files itself
  const CgroupJoin* cgroup_join = nullptr;
  bool unified_host = false;  // pure cgroup v2: a new cgroupns must exist before /sys/fs/cgroup is mounted
  bool no_pivot = false;
  bool no_new_keyring = false;
  bool die_with_parent = false;
  std::string id;
};

[[noreturn]] void container_init(const InitContext& ctx);

}  // namespace berth::runtime
