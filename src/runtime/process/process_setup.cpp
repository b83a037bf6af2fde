#include "runtime/process/process_setup.hpp"

#include <grp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "common/fs.hpp"
#include "common/log.hpp"

namespace berth::runtime {

Result<ProcessPlan> plan_process(const Process& p, const nlohmann::json& seccomp, const Linux& lx,
                                 const std::string& seccomp_cache_dir) {
  ProcessPlan plan;
  plan.process = &p;
  if (p.capabilities) {
    std::vector<std::string> dropped;
    plan.caps = BERTH_TRY(resolve_capabilities(*p.capabilities, &dropped), "");
    for (auto& c : dropped)
      plan.warnings.push_back("capability " + c + " is not in the runtime's bounding set; not granted");
  }
  plan.attrs = BERTH_TRY(plan_process_attrs(p, lx, &plan.warnings), "");
  if (!seccomp.is_null()) plan.seccomp = BERTH_TRY(compile_seccomp(seccomp, seccomp_cache_dir), "");
  return plan;
}

Result<> apply_rlimits(pid_t pid, const std::vector<Rlimit>& rlimits, std::vector<std::string>* warnings) {
  for (const auto& r : rlimits) {
    rlimit want{static_cast<rlim_t>(r.soft), static_cast<rlim_t>(r.hard)};
    if (prlimit(pid, static_cast<__rlimit_resource>(r.resource), &want, nullptr) == 0) continue;
    if (errno != EPERM) return fail_sys("set " + r.name);
    // Raising a hard limit needs CAP_SYS_RESOURCE, which some hosts drop from the bounding set:
    // grant as much as this host allows and say so, instead of failing the container.
    rlimit cur;
    if (prlimit(pid, static_cast<__rlimit_resource>(r.resource), nullptr, &cur) != 0) return fail_sys("get " + r.name);
    rlimit clamped{std::min(want.rlim_cur, cur.rlim_max), std::min(want.rlim_max, cur.rlim_max)};
    if (prlimit(pid, static_cast<__rlimit_resource>(r.resource), &clamped, nullptr) != 0)
      return fail_sys("set " + r.name);
    if (warnings)
      warnings->push_back(r.name + ": hard limit " + std::to_string(r.hard) + " exceeds the host's " +
                          std::to_string(cur.rlim_max) + " (no CAP_SYS_RESOURCE); clamped");
  }
  return {};
}

Result<> apply_oom_score(pid_t pid, std::optional<int> adj) {
  if (!adj) return {};
  return write_file("/proc/" + std::to_string(pid) + "/oom_score_adj", std::to_string(*adj));
}

Result<> become_user(const ProcessPlan& plan, bool in_new_userns) {
  const Process& p = *plan.process;
  BERTH_CHECK(apply_process_attrs(plan.attrs), "");
  if (plan.seccomp && !p.no_new_privileges && !plan.seccomp->uses_notify())
    BERTH_CHECK(const_cast<SeccompFilter&>(*plan.seccomp).load(), "load seccomp filter");
  if (plan.caps) BERTH_CHECK(caps_drop_bounding(*plan.caps), "");
  std::vector<gid_t> groups(p.user.additional_gids.begin(), p.user.additional_gids.end());
  if (setgroups(groups.size(), groups.data()) != 0) {
    // setgroups is denied in a user namespace whose setgroups file says "deny".
    if (!(in_new_userns && errno == EPERM)) return fail_sys("setgroups");
  }
  if (setresgid(p.user.gid, p.user.gid, p.user.gid) != 0) return fail_sys("setgid " + std::to_string(p.user.gid));
  if (setresuid(p.user.uid, p.user.uid, p.user.uid) != 0) return fail_sys("setuid " + std::to_string(p.user.uid));
  if (plan.caps) BERTH_CHECK(caps_apply(*plan.caps), "");
  if (p.no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return fail_sys("set no_new_privs");
  if (p.user.umask) umask(*p.user.umask);
  return {};
}

static std::string env_get(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& e : env)
    if (e.size() > key.size() && e.compare(0, key.size(), key) == 0 && e[key.size()] == '=')
      return e.substr(key.size() + 1);
  return {};
}

static bool executable(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

Result<std::string> resolve_executable(const Process& p) {
  const std::string& name = p.args[0];
  if (name.find('/') != std::string::npos) {
    struct stat st;
    // runc's (Go's) lowercase wording: `docker run` maps "no such file or directory" to 127.
    if (stat(name.c_str(), &st) != 0 && errno == ENOENT)
      return fail(ErrorKind::NotFound, "exec: \"" + name + "\": stat " + name + ": no such file or directory");
    if (stat(name.c_str(), &st) != 0) return fail_sys("exec: \"" + name + "\"");
    if (S_ISDIR(st.st_mode)) return fail(ErrorKind::Invalid, "exec: \"" + name + "\": is a directory");
    // As runc: a file that cannot be executed fails create, not the container's first breath.
    if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
      return fail(ErrorKind::Invalid, "exec: \"" + name + "\": permission denied");
    return name;
  }
  std::string path = env_get(p.env, "PATH");
  if (path.empty()) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  std::istringstream ss(path);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    std::string cand = (dir.empty() ? "." : dir) + "/" + name;
    if (executable(cand)) return cand;
  }
  return fail(ErrorKind::NotFound, "exec: \"" + name + "\": executable file not found in $PATH");
}

std::vector<std::string> exec_env(const Process& p) {
  std::vector<std::string> env = p.env;
  if (!env_get(env, "HOME").empty()) return env;
  std::string home = "/";
  std::ifstream pw("/etc/passwd");
  std::string line;
  while (std::getline(pw, line)) {
    std::vector<std::string> f;
    std::istringstream ls(line);
    std::string x;
    while (std::getline(ls, x, ':')) f.push_back(x);
    if (f.size() >= 6 && f[2] == std::to_string(p.user.uid)) {
      home = f[5];
      break;
    }
  }
  env.push_back("HOME=" + home);
  return env;
}


}  // namespace berth::runtime
