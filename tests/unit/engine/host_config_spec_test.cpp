// HostConfig -> OCI spec (host_config_spec, security_spec, namespace_modes, resources_spec):
// what each docker run flag's field turns into, and dockerd's refusals of bad values.
#include <gtest/gtest.h>

#include <algorithm>

#include "engine/capabilities.hpp"
#include "engine/host_config_spec.hpp"
#include "engine/oci_spec_builder.hpp"

using namespace berth::engine;
using nlohmann::json;

namespace {

const std::string kId = std::string(64, 'b');

HostConfigContext context() {
  HostConfigContext ctx;
  // A host like this one: everything but CAP_SYS_RESOURCE in the bounding set.
  for (auto& c : known_caps())
    if (c != "CAP_SYS_RESOURCE") ctx.security.host_caps.push_back(c);
  ctx.security.arch = "amd64";
  ctx.security.kernel = "6.1.0";
  ctx.facts.ncpu = 2;
  ctx.facts.cpus_online = "0-1";
  ctx.facts.mems_online = "0";
  ctx.facts.swap_limit = false;
  ctx.facts.own_oom_score_adj = -500;
  ctx.facts.can_lower_oom_score = false;
  ctx.donors = [](const std::string& ref) -> berth::Result<NamespaceDonor> {
    if (ref == "runner") return NamespaceDonor{std::string(64, 'c'), 4242, "shareable", "/var/lib/berth/containers/c/shm"};
    if (ref == "stopped") return NamespaceDonor{std::string(64, 'd'), 0, "private", ""};
    return berth::fail(berth::ErrorKind::NotFound, "No such container: " + ref);
  };
  ctx.group_file = "root:x:0:\nstaff:x:50:\n";
  ctx.shm_dir = "/var/lib/berth/containers/b/shm";
  return ctx;
}

// The spec for hc, after the same normalization create does; warnings out.
berth::Result<json> spec_for(json hc, std::vector<std::string>* warnings = nullptr, json config = json::object()) {
  auto ctx = context();
  auto w = normalize_host_config(hc, config, ctx);
  if (!w) return std::unexpected(w.error());
  if (warnings) *warnings = *w;
  auto spec = build_oci_spec(json{{"Cmd", {"sh"}}}, config, SpecInputs{kId, "/r", {}});
  if (!spec) return std::unexpected(spec.error());
  if (auto r = apply_host_config(*spec, hc, kId, ctx); !r) return std::unexpected(r.error());
  return *spec;
}

std::string error_of(json hc, json config = json::object()) {
  auto s = spec_for(std::move(hc), nullptr, std::move(config));
  return s ? "" : s.error().message;
}

bool has(const json& arr, const json& v) { return std::find(arr.begin(), arr.end(), v) != arr.end(); }

bool has_ns(const json& spec, const std::string& type) {
  for (auto& ns : spec["linux"]["namespaces"])
    if (ns["type"] == type) return true;
  return false;
}

json mount_at(const json& spec, const std::string& dest) {
  for (auto& m : spec["mounts"])
    if (m["destination"] == dest) return m;
  return nullptr;
}

}  // namespace

TEST(HostConfigSpec, SecureDefaults) {
  auto s = spec_for(json::object());
  ASSERT_TRUE(s) << s.error().what();
  auto& p = (*s)["process"];
  EXPECT_EQ(p["capabilities"]["bounding"].size(), 14u);
  EXPECT_FALSE(p.contains("noNewPrivileges"));
  auto& lx = (*s)["linux"];
  EXPECT_EQ(lx["seccomp"]["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_TRUE(has(lx["maskedPaths"], "/sys/devices/virtual/powercap"));
  EXPECT_TRUE(has(lx["maskedPaths"], "/proc/kcore"));
  EXPECT_TRUE(has(lx["readonlyPaths"], "/proc/sysrq-trigger"));
  auto custom = spec_for({{"MaskedPaths", {"/proc/cpuinfo"}}, {"ReadonlyPaths", json::array()}});
  ASSERT_TRUE(custom);
  EXPECT_EQ((*custom)["linux"]["maskedPaths"], json({"/proc/cpuinfo"}));
  EXPECT_TRUE((*custom)["linux"]["readonlyPaths"].empty());
  EXPECT_EQ(lx["resources"]["devices"][0], json({{"allow", false}, {"access", "rwm"}}));
  EXPECT_TRUE(has(mount_at(*s, "/sys")["options"], "ro"));
  EXPECT_EQ((*s)["root"]["readonly"], false);
}

TEST(HostConfigSpec, CapabilitiesAddDropAllAndNames) {
  auto s = spec_for({{"CapAdd", {"sys_admin", "CAP_NET_ADMIN"}}, {"CapDrop", {"chown"}}});
  ASSERT_TRUE(s) << s.error().what();
  auto caps = (*s)["process"]["capabilities"]["effective"];
  EXPECT_TRUE(has(caps, "CAP_SYS_ADMIN"));
  EXPECT_TRUE(has(caps, "CAP_NET_ADMIN"));
  EXPECT_FALSE(has(caps, "CAP_CHOWN"));
  // The profile follows: mount comes with CAP_SYS_ADMIN.
  bool mount_allowed = false;
  for (auto& r : (*s)["linux"]["seccomp"]["syscalls"])
    if (r["action"] == "SCMP_ACT_ALLOW" && has(r["names"], "mount")) mount_allowed = true;
  EXPECT_TRUE(mount_allowed);

  auto none = spec_for({{"CapDrop", {"ALL"}}, {"CapAdd", {"NET_BIND_SERVICE"}}});
  ASSERT_TRUE(none);
  EXPECT_EQ((*none)["process"]["capabilities"]["bounding"], json({"CAP_NET_BIND_SERVICE"}));
  auto all = spec_for({{"CapAdd", {"ALL"}}, {"CapDrop", {"MKNOD"}}});
  ASSERT_TRUE(all);
  auto allcaps = (*all)["process"]["capabilities"]["bounding"];
  EXPECT_FALSE(has(allcaps, "CAP_MKNOD"));
  EXPECT_FALSE(has(allcaps, "CAP_SYS_RESOURCE"));  // not in this host's bounding set
  EXPECT_TRUE(has(allcaps, "CAP_SYS_MODULE"));
  EXPECT_EQ(error_of({{"CapAdd", {"NOPE"}}}), "unknown capability: \"CAP_NOPE\"");
  EXPECT_EQ(error_of({{"CapDrop", {"cap_bogus"}}}), "unknown capability: \"CAP_BOGUS\"");
}

TEST(HostConfigSpec, PrivilegedGetsWhatTheHostHas) {
  auto s = spec_for({{"Privileged", true}});
  ASSERT_TRUE(s) << s.error().what();
  auto caps = (*s)["process"]["capabilities"]["bounding"];
  EXPECT_EQ(caps.size(), known_caps().size() - 1);
  EXPECT_FALSE(has(caps, "CAP_SYS_RESOURCE"));
  auto& lx = (*s)["linux"];
  EXPECT_FALSE(lx.contains("seccomp"));
  EXPECT_TRUE(lx["maskedPaths"].empty());
  EXPECT_TRUE(lx["readonlyPaths"].empty());
  EXPECT_EQ(lx["resources"]["devices"], json::array({{{"allow", true}, {"access", "rwm"}}}));
  EXPECT_FALSE(lx["devices"].empty());  // the host's /dev/null at least
  EXPECT_FALSE(has(mount_at(*s, "/sys")["options"], "ro"));
  EXPECT_FALSE(has(mount_at(*s, "/sys/fs/cgroup")["options"], "ro"));
}

TEST(HostConfigSpec, SecurityOpts) {
  auto un = spec_for({{"SecurityOpt", {"seccomp=unconfined"}}});
  ASSERT_TRUE(un);
  EXPECT_FALSE((*un)["linux"].contains("seccomp"));
  auto custom = spec_for({{"SecurityOpt", {R"(seccomp={"defaultAction":"SCMP_ACT_LOG"})"}}});
  ASSERT_TRUE(custom) << custom.error().what();
  EXPECT_EQ((*custom)["linux"]["seccomp"]["defaultAction"], "SCMP_ACT_LOG");
  for (auto opt : {"no-new-privileges", "no-new-privileges:true", "no-new-privileges=true"}) {
    auto n = spec_for({{"SecurityOpt", {opt}}});
    ASSERT_TRUE(n) << opt;
    EXPECT_EQ((*n)["process"]["noNewPrivileges"], true) << opt;
  }
  auto off = spec_for({{"SecurityOpt", {"no-new-privileges=false"}}});
  ASSERT_TRUE(off);
  EXPECT_FALSE((*off)["process"].contains("noNewPrivileges"));
  EXPECT_TRUE(spec_for({{"SecurityOpt", {"apparmor=unconfined", "label=disable"}}}));
  EXPECT_EQ(error_of({{"SecurityOpt", {"bogus"}}}), "invalid --security-opt 1: \"bogus\"");
  EXPECT_EQ(error_of({{"SecurityOpt", {"no-new-privileges=maybe"}}}), "invalid --security-opt 2: \"no-new-privileges=maybe\"");
  EXPECT_NE(error_of({{"SecurityOpt", {"seccomp=not json"}}}).find("Decoding seccomp profile failed"), std::string::npos);
  auto ro = spec_for({{"ReadonlyRootfs", true}});
  EXPECT_EQ((*ro)["root"]["readonly"], true);
}

TEST(HostConfigSpec, SysctlsOnlyNamespaced) {
  auto s = spec_for({{"Sysctls", {{"net.ipv4.ip_forward", "1"}, {"kernel.shmmax", "1000"}, {"fs.mqueue.msg_max", "20"}}}});
  ASSERT_TRUE(s) << s.error().what();
  EXPECT_EQ((*s)["linux"]["sysctl"]["net.ipv4.ip_forward"], "1");
  EXPECT_EQ((*s)["linux"]["sysctl"]["kernel.shmmax"], "1000");
  EXPECT_EQ(error_of({{"Sysctls", {{"kernel.domainname", "x"}}}}),
            "sysctl \"kernel.domainname\" is not in a separate kernel namespace");
  EXPECT_EQ(error_of({{"Sysctls", {{"vm.swappiness", "1"}}}}), "sysctl \"vm.swappiness\" is not in a separate kernel namespace");
  // A name that would walk out of /proc/sys/net to a host-wide sysctl.
  EXPECT_EQ(error_of({{"Sysctls", {{"net.ipv4/../../kernel/core_pattern", "|/tmp/x"}}}}),
            "sysctl \"net.ipv4/../../kernel/core_pattern\": invalid name");
  EXPECT_EQ(error_of({{"Sysctls", {{"net..core", "1"}}}}), "sysctl \"net..core\": invalid name");
  EXPECT_EQ(error_of({{"NetworkMode", "host"}, {"Sysctls", {{"net.ipv4.ip_forward", "1"}}}}),
            "sysctl \"net.ipv4.ip_forward\" not allowed in host network namespace");
}

TEST(HostConfigSpec, NamespaceModes) {
  auto host = spec_for({{"PidMode", "host"}, {"UTSMode", "host"}, {"IpcMode", "host"}, {"CgroupnsMode", "host"}});
  ASSERT_TRUE(host) << host.error().what();
  for (auto t : {"pid", "uts", "ipc", "cgroup"}) EXPECT_FALSE(has_ns(*host, t)) << t;
  EXPECT_TRUE(has_ns(*host, "mount"));
  EXPECT_FALSE(host->contains("hostname"));
  EXPECT_EQ(mount_at(*host, "/dev/shm")["source"], "/dev/shm");
  auto join = spec_for({{"PidMode", "container:runner"}, {"IpcMode", "container:runner"}});
  ASSERT_TRUE(join) << join.error().what();
  bool pid_joined = false, ipc_joined = false;
  for (auto& ns : (*join)["linux"]["namespaces"]) {
    pid_joined |= ns["type"] == "pid" && ns.value("path", "") == "/proc/4242/ns/pid";
    ipc_joined |= ns["type"] == "ipc" && ns.value("path", "") == "/proc/4242/ns/ipc";
  }
  EXPECT_TRUE(pid_joined);
  EXPECT_TRUE(ipc_joined);
  EXPECT_EQ(mount_at(*join, "/dev/shm")["source"], "/var/lib/berth/containers/c/shm");
  auto shareable = spec_for({{"IpcMode", "shareable"}});
  EXPECT_EQ(mount_at(*shareable, "/dev/shm")["source"], "/var/lib/berth/containers/b/shm");
  auto none = spec_for({{"IpcMode", "none"}});
  EXPECT_TRUE(mount_at(*none, "/dev/shm").is_null());
  EXPECT_EQ(error_of({{"PidMode", "container:stopped"}}), "cannot join PID of a non running container: stopped");
  EXPECT_EQ(error_of({{"IpcMode", "container:nope"}}), "No such container: nope");
  EXPECT_EQ(error_of({{"IpcMode", "bogus"}}), "invalid IPC mode: bogus");
  EXPECT_EQ(error_of({{"PidMode", "bogus"}}), "invalid PID mode: bogus");
  EXPECT_EQ(error_of({{"UTSMode", "bogus"}}), "invalid UTS mode: bogus");
  EXPECT_EQ(error_of({{"UsernsMode", "bogus"}}), "invalid user namespace mode: bogus");
  EXPECT_EQ(error_of({{"CgroupnsMode", "bogus"}}), "invalid cgroup namespace mode: bogus");
  EXPECT_EQ(error_of({{"UTSMode", "host"}}, {{"Hostname", "box"}}), "Conflicting options: hostname and the UTS mode");
  EXPECT_TRUE(spec_for({{"UsernsMode", "host"}}));
}

// UTSMode container:<id> is no Engine API mode (dockerd refuses it too); the engine sets it
// after the checks for the CRI (CreateOptions::uts_container), and then joins the donor's.
TEST(HostConfigSpec, UtsOfAnotherContainerOnlyFromInside) {
  EXPECT_EQ(error_of({{"UTSMode", "container:runner"}}), "invalid UTS mode: container:runner");
  auto ctx = context();
  json config = {{"Hostname", "pod-host"}};
  auto spec = build_oci_spec(json{{"Cmd", {"sh"}}}, config, SpecInputs{kId, "/r", {}});
  ASSERT_TRUE(spec) << spec.error().what();
  EXPECT_EQ((*spec)["hostname"], "pod-host");
  ASSERT_TRUE(apply_host_config(*spec, {{"UTSMode", "container:runner"}}, kId, ctx));
  bool uts_joined = false;
  for (auto& ns : (*spec)["linux"]["namespaces"])
    uts_joined |= ns["type"] == "uts" && ns.value("path", "") == "/proc/4242/ns/uts";
  EXPECT_TRUE(uts_joined) << (*spec)["linux"]["namespaces"].dump();
  EXPECT_FALSE(spec->contains("hostname")) << "the names are the donor's: the runtime sets none";
  auto stopped = apply_host_config(*spec, {{"UTSMode", "container:stopped"}}, kId, ctx);
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().message, "cannot join UTS of a non running container: stopped");
}

TEST(HostConfigSpec, GroupAdd) {
  auto s = spec_for({{"GroupAdd", {"staff", "1234"}}});
  ASSERT_TRUE(s) << s.error().what();
  EXPECT_EQ((*s)["process"]["user"]["additionalGids"], json({50, 1234}));
  EXPECT_EQ(error_of({{"GroupAdd", {"wheel"}}}), "Unable to find group wheel: no matching entries in group file");
}

TEST(HostConfigSpec, MemoryAndCpu) {
  std::vector<std::string> warnings;
  json hc = {{"Memory", 32 << 20}, {"MemoryReservation", 16 << 20}, {"MemorySwappiness", 10}, {"OomKillDisable", true},
             {"NanoCpus", 500000000}, {"CpuShares", 512}, {"CpusetCpus", "0-1"}, {"CpusetMems", "0"},
             {"PidsLimit", 10}, {"BlkioWeight", 300}, {"KernelMemory", 1 << 20}};
  auto s = spec_for(hc, &warnings);
  ASSERT_TRUE(s) << s.error().what();
  auto& r = (*s)["linux"]["resources"];
  EXPECT_EQ(r["memory"]["limit"], 32 << 20);
  EXPECT_EQ(r["memory"]["reservation"], 16 << 20);
  EXPECT_FALSE(r["memory"].contains("swap"));  // no swap accounting on this host: -1
  EXPECT_EQ(r["memory"]["swappiness"], 10);
  EXPECT_EQ(r["memory"]["disableOOMKiller"], true);
  EXPECT_EQ(r["cpu"]["period"], 100000);
  EXPECT_EQ(r["cpu"]["quota"], 50000);
  EXPECT_EQ(r["cpu"]["shares"], 512);
  EXPECT_EQ(r["cpu"]["cpus"], "0-1");
  EXPECT_EQ(r["pids"]["limit"], 10);
  EXPECT_EQ(r["blockIO"]["weight"], 300);
  EXPECT_FALSE(r["memory"].contains("kernel"));
  auto has_warning = [&](const std::string& w) {
    return std::any_of(warnings.begin(), warnings.end(), [&](auto& x) { return x.find(w) != std::string::npos; });
  };
  EXPECT_TRUE(has_warning("Specifying a kernel memory limit is deprecated"));
  EXPECT_TRUE(has_warning("Memory limited without swap"));
}

TEST(HostConfigSpec, ResourceRefusalsInDockerdsWords) {
  EXPECT_EQ(error_of({{"Memory", 1 << 20}}), "Minimum memory limit allowed is 6MB");
  EXPECT_EQ(error_of({{"MemoryReservation", 1 << 20}}), "Minimum memory reservation allowed is 6MB");
  EXPECT_EQ(error_of({{"MemorySwap", 64 << 20}}),
            "You should always set the Memory limit when using Memoryswap limit, see usage.");
  EXPECT_EQ(error_of({{"Memory", 64 << 20}, {"MemorySwap", 32 << 20}}),
            "Minimum memoryswap limit should be larger than memory limit, see usage.");
  EXPECT_EQ(error_of({{"MemorySwappiness", 101}}), "Invalid value: 101, valid memory swappiness range is 0-100");
  EXPECT_EQ(error_of({{"NanoCpus", -1000000000}}), "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available");
  EXPECT_EQ(error_of({{"NanoCpus", 3000000000}}), "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available");
  EXPECT_EQ(error_of({{"NanoCpus", 1000000000}, {"CpuQuota", 5000}}),
            "Conflicting options: Nano CPUs and CPU Quota cannot both be set");
  EXPECT_EQ(error_of({{"CpuPeriod", 10}}),
            "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
  EXPECT_EQ(error_of({{"CpusetCpus", "99"}}), "Requested CPUs are not available - requested 99, available: 0-1");
  EXPECT_EQ(error_of({{"CpusetCpus", "1-x"}}), "Invalid value 1-x for cpuset cpus");
  EXPECT_EQ(error_of({{"CpusetMems", "3"}}), "Requested memory nodes are not available - requested 3, available: 0");
  EXPECT_EQ(error_of({{"BlkioWeight", 5}}), "Range of blkio weight is from 10 to 1000");
  EXPECT_EQ(error_of({{"OomScoreAdj", 1001}}), "Invalid value 1001, range for oom score adj is [-1000, 1000]");
  EXPECT_EQ(error_of({{"ShmSize", -1}}), "SHM size can not be less than 0");
  EXPECT_EQ(error_of({{"DeviceCgroupRules", {"c 1:3"}}}), "invalid device cgroup format 'c 1:3'");
  EXPECT_EQ(error_of({{"Memory", "lots"}}), "json: cannot unmarshal string into Go struct field HostConfig.Memory of type int64");
}

TEST(HostConfigSpec, UlimitsOomScoreShmDevicesCgroupParent) {
  std::vector<std::string> warnings;
  auto s = spec_for({{"Ulimits", {{{"Name", "nofile"}, {"Soft", 512}, {"Hard", 1024}}, {{"Name", "nproc"}, {"Soft", 10}, {"Hard", 20}}}},
                     {"OomScoreAdj", -900},
                     {"ShmSize", 8 << 20},
                     {"Devices", {{{"PathOnHost", "/dev/null"}, {"PathInContainer", "/dev/mynull"}, {"CgroupPermissions", "rw"}}}},
                     {"DeviceCgroupRules", {"c 42:* rmw", "b 8:0 r"}},
                     {"CgroupParent", "custom/parent/"}},
                    &warnings);
  ASSERT_TRUE(s) << s.error().what();
  auto& p = (*s)["process"];
  bool nofile = false, nproc = false;
  for (auto& r : p["rlimits"]) {
    nofile |= r == json({{"type", "RLIMIT_NOFILE"}, {"soft", 512}, {"hard", 1024}});
    nproc |= r == json({{"type", "RLIMIT_NPROC"}, {"soft", 10}, {"hard", 20}});
  }
  EXPECT_TRUE(nofile) << p["rlimits"].dump();
  EXPECT_TRUE(nproc) << p["rlimits"].dump();
  EXPECT_EQ(p["oomScoreAdj"], -500);  // never below berthd's own without CAP_SYS_RESOURCE
  EXPECT_EQ(warnings.size(), 1u);
  EXPECT_TRUE(has(mount_at(*s, "/dev/shm")["options"], "size=8192k"));
  auto& lx = (*s)["linux"];
  ASSERT_EQ(lx["devices"].size(), 1u);
  EXPECT_EQ(lx["devices"][0]["path"], "/dev/mynull");
  EXPECT_EQ(lx["devices"][0]["major"], 1);
  EXPECT_EQ(lx["devices"][0]["minor"], 3);
  EXPECT_TRUE(has(lx["resources"]["devices"], json({{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 3}, {"access", "rw"}})));
  EXPECT_TRUE(has(lx["resources"]["devices"], json({{"allow", true}, {"type", "c"}, {"major", 42}, {"access", "rmw"}})));
  EXPECT_TRUE(has(lx["resources"]["devices"], json({{"allow", true}, {"type", "b"}, {"major", 8}, {"minor", 0}, {"access", "r"}})));
  EXPECT_EQ(lx["cgroupsPath"], "/custom/parent/" + kId);
  EXPECT_EQ(error_of({{"CgroupParent", "a/../../etc"}}), "invalid cgroup parent: a/../../etc");
  EXPECT_NE(error_of({{"Devices", {{{"PathOnHost", "/nonexistent"}}}}}).find("error gathering device information"),
            std::string::npos);
  EXPECT_EQ(error_of({{"Devices", {{{"PathOnHost", "/dev/null"}, {"PathInContainer", "dev/x"}}}}}),
            "HostConfig.Devices: dev/x is not an absolute path");
  EXPECT_NE(error_of({{"Ulimits", {{{"Name", "nofile"}, {"Soft", "many"}, {"Hard", 1}}}}}).find("cannot unmarshal string"),
            std::string::npos);
}

TEST(HostConfigSpec, DaemonDefaultUlimitsUnderTheContainers) {
  auto ctx = context();
  ctx.default_ulimits["nofile"] = Ulimit{"nofile", 100, 200};
  ctx.default_ulimits["core"] = Ulimit{"core", 0, 0};
  json hc = {{"Ulimits", {{{"Name", "nofile"}, {"Soft", 300}, {"Hard", 400}}}}};
  ASSERT_TRUE(normalize_host_config(hc, json::object(), ctx));
  auto spec = build_oci_spec(json{{"Cmd", {"sh"}}}, json::object(), SpecInputs{kId, "/r", {}});
  ASSERT_TRUE(apply_host_config(*spec, hc, kId, ctx));
  json want_nofile = {{"type", "RLIMIT_NOFILE"}, {"soft", 300}, {"hard", 400}};
  json want_core = {{"type", "RLIMIT_CORE"}, {"soft", 0}, {"hard", 0}};
  EXPECT_TRUE(has((*spec)["process"]["rlimits"], want_nofile)) << (*spec)["process"]["rlimits"].dump();
  EXPECT_TRUE(has((*spec)["process"]["rlimits"], want_core));
}

TEST(HostConfigSpec, CpuLists) {
  EXPECT_EQ(parse_cpu_list("0-2,4"), (std::vector<int>{0, 1, 2, 4}));
  EXPECT_EQ(parse_cpu_list("1"), (std::vector<int>{1}));
  EXPECT_FALSE(parse_cpu_list(""));
  EXPECT_FALSE(parse_cpu_list("2-1"));
  EXPECT_FALSE(parse_cpu_list("a"));
  EXPECT_FALSE(parse_cpu_list("1,,2"));
}
