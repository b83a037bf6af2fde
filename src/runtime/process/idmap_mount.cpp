#include "runtime/process/idmap_mount.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/mount.h>

#include <csignal>

#include "common/fs.hpp"
#include "runtime/process/mount_flags.hpp"

namespace berth::runtime {

// A short-lived child holds the namespace while we open it.
Result<UniqueFd> user_namespace_fd(const std::vector<IdMapping>& uids, const std::vector<IdMapping>& gids) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) return fail_sys("pipe");
  UniqueFd rd(pipefd[0]), wr(pipefd[1]);
  pid_t pid = static_cast<pid_t>(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, nullptr, nullptr, nullptr, 0));
  if (pid < 0) return fail_sys("clone user namespace for idmapped mount");
  if (pid == 0) {
    char c;
    wr.reset();
    (void)!read(rd.get(), &c, 1);  // parent closes its end when done
    _exit(0);
  }
  rd.reset();
  auto cleanup = [&] {
    wr.reset();
    waitpid(pid, nullptr, 0);
  };
  auto maps = write_id_maps(pid, uids.empty() ? gids : uids, gids.empty() ? uids : gids);
  UniqueFd ns(open(("/proc/" + std::to_string(pid) + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC));
  int e = errno;
  cleanup();
  if (!maps) return fail(maps.error());
  if (!ns) return fail(sys_error("open user namespace", e));
  return ns;
}

Result<IdmappedMounts> prepare_idmapped_mounts(const Spec& spec, const std::string& bundle) {
  IdmappedMounts out;
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    const Mount& m = spec.mounts[i];
    if (m.uid_mappings.empty() && m.gid_mappings.empty()) continue;
    std::string where = "mounts[" + std::to_string(i) + "]";
    MountFlags f = parse_mount_options(m.options);
    if (!(f.bind || m.type == "bind"))
      return fail(ErrorKind::Invalid, where + ": uidMappings are only supported on bind mounts");
    std::string src = m.source[0] == '/' ? m.source : path_join(bundle, m.source);
    auto ns = BERTH_TRY(user_namespace_fd(m.uid_mappings, m.gid_mappings), where);
    unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (f.recursive ? AT_RECURSIVE : 0);
    UniqueFd tree(static_cast<int>(syscall(SYS_open_tree, AT_FDCWD, src.c_str(), flags)));
    if (!tree) return fail_sys(where + ": open_tree " + src);
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_IDMAP;
    attr.userns_fd = static_cast<uint64_t>(ns.get());
    if (syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH | (f.recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) != 0)
      return fail_sys(where + ": idmap " + src + " (does its filesystem support idmapped mounts?)");
    out.emplace(i, std::move(tree));
  }
  return out;
}


}  // namespace berth::runtime
