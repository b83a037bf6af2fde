// berth's default seccomp profile (data/seccomp/default.json, Docker's in effect) resolved per
// architecture and capability set, compared with the profile Debian ships in
// golang-github-containers-common (/usr/share/containers/seccomp.json, podman's): every
// difference in the allowed syscalls must be one explained below.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "engine/seccomp_profile.hpp"

using namespace berth::engine;
using nlohmann::json;

namespace {

const std::vector<std::string> kDockerCaps = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
    "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"};
// Capabilities that some rule of either profile depends on.
const std::vector<std::string> kRuleCaps = {
    "CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_SYS_MODULE", "CAP_SYS_TIME", "CAP_SYS_NICE", "CAP_SYSLOG",
    "CAP_BPF", "CAP_PERFMON", "CAP_SYS_BOOT", "CAP_SYS_PACCT", "CAP_SYS_RAWIO", "CAP_SYS_TTY_CONFIG",
    "CAP_DAC_READ_SEARCH"};
const std::vector<std::string> kArches = {"amd64", "arm64", "s390x", "ppc64le", "riscv64"};

// Syscalls an allow rule names (with or without argument rules).
std::set<std::string> allowed(const json& profile, const std::string& arch, const std::vector<std::string>& caps) {
  auto r = resolve_seccomp_profile(profile, SeccompTarget{arch, caps, "6.1.0"});
  EXPECT_TRUE(r) << r.error().what();
  std::set<std::string> out;
  if (!r) return out;
  for (auto& c : (*r)["syscalls"])
    if (c["action"] == "SCMP_ACT_ALLOW")
      for (auto& n : c["names"]) out.insert(n.get<std::string>());
  return out;
}

// Differences, and why. Podman's profile is made for rootless containers that build their own
// namespaces inside, and is older than some of Docker's additions.
const std::map<std::string, std::string> kOnlyDocker = {
    {"futex_waitv", "added to Docker's profile after containers-common 0.50"},
    {"io_pgetevents", "containers-common 0.50 blocks it explicitly; Docker allows it"},
    {"io_pgetevents_time64", "the 32-bit time64 twin of io_pgetevents"},
    {"io_uring_enter", "podman blocks io_uring (its CVE history); Docker allows it"},
    {"io_uring_register", "podman blocks io_uring; Docker allows it"},
    {"io_uring_setup", "podman blocks io_uring; Docker allows it"},
    {"vmsplice", "podman blocks vmsplice (Dirty Pipe); Docker allows it"},
    {"bpf", "Docker allows bpf with CAP_BPF alone; podman only with CAP_SYS_ADMIN"},
    {"perf_event_open", "Docker allows it with CAP_PERFMON alone; podman only with CAP_SYS_ADMIN"},
    {"quotactl_fd", "newer than containers-common 0.50's CAP_SYS_ADMIN list"},
    {"set_mempolicy_home_node", "newer than containers-common 0.50's list"},
    {"riscv_flush_icache", "containers-common 0.50 has no riscv64 rules"},
    {"swapcontext", "Docker allows it on ppc64le; podman lists it as blocked"},
};
const std::map<std::string, std::string> kOnlyPodman = {
    {"mount", "rootless podman mounts inside its user namespace; Docker: CAP_SYS_ADMIN only"},
    {"umount", "as mount"},
    {"umount2", "as mount"},
    {"unshare", "as mount: Docker needs CAP_SYS_ADMIN"},
    {"setns", "as unshare"},
    {"pivot_root", "podman allows it; Docker never lists it (denied)"},
    {"fsconfig", "the new mount API, as mount"},
    {"fsmount", "as fsconfig"},
    {"fsopen", "as fsconfig"},
    {"fspick", "as fsconfig"},
    {"move_mount", "as fsconfig"},
    {"open_tree", "as fsconfig"},
    {"mount_setattr", "as fsconfig"},
    {"clone3", "Docker answers ENOSYS without CAP_SYS_ADMIN (flags out of seccomp's reach) so libc falls back to clone"},
    {"keyctl", "Docker denies the keyring (not namespaced); podman allows it"},
    {"reboot", "podman allows it (pid-namespaced); Docker only with CAP_SYS_BOOT"},
    {"syslog", "podman allows it; Docker only with CAP_SYSLOG or CAP_SYS_ADMIN"},
    {"get_mempolicy", "podman allows the NUMA calls; Docker only with CAP_SYS_NICE"},
    {"mbind", "as get_mempolicy"},
    {"set_mempolicy", "as get_mempolicy"},
    {"pidfd_getfd", "podman allows it; Docker only with CAP_SYS_PTRACE"},
    {"query_module", "podman lists it with CAP_SYS_MODULE; the kernel removed it in 2.6"},
    {"readdir", "an old 32-bit call that Docker does not list"},
    {"sigaction", "old 32-bit signal call Docker does not list (rt_sigaction is allowed)"},
    {"signal", "as sigaction"},
    {"sigpending", "as sigaction"},
    {"sigsuspend", "as sigaction"},
    {"syscall", "the indirect syscall of some arches; Docker does not list it"},
    {"timerfd", "an old name; Docker lists timerfd_create"},
};

json load_podman_profile() {
  std::ifstream f("/usr/share/containers/seccomp.json");
  std::stringstream ss;
  ss << f.rdbuf();
  return json::parse(ss.str(), nullptr, false);
}

std::vector<std::string> with(std::vector<std::string> caps, const std::string& c) {
  caps.push_back(c);
  return caps;
}

json find_rule(const json& oci, const std::string& name) {
  for (auto& c : oci["syscalls"])
    for (auto& n : c["names"])
      if (n == name) return c;
  return nullptr;
}

}  // namespace

TEST(SeccompProfile, AllowsWhatContainersCommonAllowsExceptTheExplainedDifferences) {
  json podman = load_podman_profile();
  ASSERT_TRUE(podman.is_object()) << "/usr/share/containers/seccomp.json missing: install golang-github-containers-common "
                                     "(scripts/install-deps.sh test)";
  std::set<std::string> seen_docker, seen_podman;
  std::vector<std::vector<std::string>> cap_sets = {kDockerCaps, {}};
  for (auto& c : kRuleCaps) cap_sets.push_back(with(kDockerCaps, c));
  for (auto& arch : kArches)
    for (auto& caps : cap_sets) {
      auto ours = allowed(default_seccomp_profile(), arch, caps), theirs = allowed(podman, arch, caps);
      for (auto& n : ours)
        if (!theirs.contains(n)) {
          EXPECT_TRUE(kOnlyDocker.contains(n)) << n << " is allowed by berth's profile but not by containers-common's ("
                                               << arch << ", " << caps.size() << " caps): unexplained";
          seen_docker.insert(n);
        }
      for (auto& n : theirs)
        if (!ours.contains(n)) {
          EXPECT_TRUE(kOnlyPodman.contains(n)) << n << " is allowed by containers-common's profile but not by berth's ("
                                               << arch << ", " << caps.size() << " caps): unexplained";
          seen_podman.insert(n);
        }
    }
  // The explanations stay true: each names a difference that exists.
  for (auto& [n, why] : kOnlyDocker) EXPECT_TRUE(seen_docker.contains(n)) << n << ": explained but no longer different";
  for (auto& [n, why] : kOnlyPodman) EXPECT_TRUE(seen_podman.contains(n)) << n << ": explained but no longer different";
}

TEST(SeccompProfile, DefaultCapsKeepMountAndNamespacesOut) {
  auto ours = allowed(default_seccomp_profile(), "amd64", kDockerCaps);
  for (auto n : {"mount", "umount2", "unshare", "setns", "keyctl", "add_key", "init_module", "bpf", "reboot"})
    EXPECT_FALSE(ours.contains(n)) << n;
  for (auto n : {"read", "clone", "socket", "personality", "chroot", "arch_prctl", "ptrace"}) EXPECT_TRUE(ours.contains(n)) << n;
  auto admin = allowed(default_seccomp_profile(), "amd64", with(kDockerCaps, "CAP_SYS_ADMIN"));
  for (auto n : {"mount", "umount2", "unshare", "setns", "clone3"}) EXPECT_TRUE(admin.contains(n)) << n;
  auto no_chroot = allowed(default_seccomp_profile(), "amd64", {"CAP_CHOWN"});
  EXPECT_FALSE(no_chroot.contains("chroot"));  // --cap-drop SYS_CHROOT drops the syscall too
}

TEST(SeccompProfile, ArgumentRulesAndArchitectures) {
  auto r = resolve_seccomp_profile(default_seccomp_profile(), SeccompTarget{"amd64", kDockerCaps, "6.1.0"});
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ((*r)["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ((*r)["defaultErrnoRet"], 1);
  EXPECT_EQ((*r)["architectures"], json({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  auto clone = find_rule(*r, "clone");
  ASSERT_TRUE(clone.is_object());
  EXPECT_EQ(clone["args"], json::parse(R"([{"index":0,"value":2114060288,"op":"SCMP_CMP_MASKED_EQ"}])"));
  auto clone3 = find_rule(*r, "clone3");
  EXPECT_EQ(clone3["action"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(clone3["errnoRet"], 38);
  auto socket = find_rule(*r, "socket");
  EXPECT_EQ(socket["args"][0]["op"], "SCMP_CMP_NE");
  EXPECT_EQ(socket["args"][0]["value"], 40);  // AF_VSOCK
  std::set<uint64_t> personas;
  for (auto& c : (*r)["syscalls"])
    if (c["names"] == json({"personality"})) personas.insert(c["args"][0]["value"].get<uint64_t>());
  EXPECT_EQ(personas, (std::set<uint64_t>{0, 8, 131072, 131080, 4294967295}));

  auto s390 = resolve_seccomp_profile(default_seccomp_profile(), SeccompTarget{"s390x", kDockerCaps, "6.1.0"});
  ASSERT_TRUE(s390);
  EXPECT_EQ(find_rule(*s390, "clone")["args"][0]["index"], 1);  // s390 passes clone's flags second
  auto admin = resolve_seccomp_profile(default_seccomp_profile(),
                                       SeccompTarget{"amd64", with(kDockerCaps, "CAP_SYS_ADMIN"), "6.1.0"});
  EXPECT_FALSE(find_rule(*admin, "clone").contains("args"));  // any clone with CAP_SYS_ADMIN
  auto old_kernel = resolve_seccomp_profile(default_seccomp_profile(), SeccompTarget{"amd64", kDockerCaps, "4.4.0"});
  EXPECT_TRUE(find_rule(*old_kernel, "ptrace").is_null());  // minKernel 4.8
  EXPECT_FALSE(find_rule(*r, "ptrace").is_null());
}

TEST(SeccompProfile, BadProfilesAreRefusedWithDockerdsWords) {
  auto e = parse_seccomp_profile("not json");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("Decoding seccomp profile failed"), std::string::npos) << e.error().message;
  auto both = resolve_seccomp_profile(json::parse(R"({"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],
      "archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":[]}]})"),
                                      SeccompTarget{"amd64", {}, ""});
  ASSERT_FALSE(both);
  EXPECT_NE(both.error().message.find("use either 'architectures' or 'archMap'"), std::string::npos);
  auto name_and_names = resolve_seccomp_profile(
      json::parse(R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"name":"a","names":["b"],"action":"SCMP_ACT_ERRNO"}]})"),
      SeccompTarget{"amd64", {}, ""});
  ASSERT_FALSE(name_and_names);
  EXPECT_NE(name_and_names.error().message.find("use either 'name' or 'names'"), std::string::npos);
}
