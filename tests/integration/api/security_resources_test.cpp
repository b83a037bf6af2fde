// Secure defaults, their overrides and resource limits with the stock docker clients against
// berthd (issue 12): the default seccomp profile and capability set, --cap-add/--cap-drop,
// --privileged, --security-opt, --read-only, masked paths, --sysctl, namespace modes, and the
// cgroup limits (--memory with an OOM kill, --pids-limit against a fork bomb, --cpus, docker
// update). Each container is removed by the fixture; the cgroups go with them.
#include <sys/resource.h>
#include <unistd.h>

#include "api/lifecycle_fixture.hpp"

using namespace berth::api::test;
using namespace std::chrono_literals;

namespace {

class SecureRun : public Lifecycle {
 protected:
  // `docker run --rm <args>`: status and output.
  berth::test::CmdResult run_rm(std::vector<std::string> args) {
    args.insert(args.begin(), {"run", "--rm"});
    return docker(args);
  }
  // A file of the container's v1 cgroup (this host's layout: v1 controllers).
  std::string cgroup_file(const std::string& controller, const std::string& id, const std::string& file) {
    auto t = berth::test::read_text("/sys/fs/cgroup/" + controller + "/berth/" + id + "/" + file);
    while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
    return t;
  }
  int container_count() { return static_cast<int>(lines(docker({"ps", "-aq"}).out).size()); }
};

}  // namespace

TEST_P(SecureRun, DefaultProfileBlocksNamespacesAndMountPrivilegedAllowsThem) {
  auto unshare = run_rm({"busybox", "unshare", "-U", "true"});
  EXPECT_NE(unshare.status, 0) << unshare.out;
  EXPECT_NE((unshare.out + unshare.err).find("Operation not permitted"), std::string::npos) << unshare.out << unshare.err;
  auto mount = run_rm({"busybox", "sh", "-c", "mkdir /m && mount -t tmpfs t /m"});
  EXPECT_NE(mount.status, 0);
  // --cap-add SYS_ADMIN brings the syscalls back with the capability (Docker's "includes").
  auto admin = run_rm({"--cap-add", "sys_admin", "busybox", "sh", "-c", "mkdir /m && mount -t tmpfs t /m && echo ok"});
  EXPECT_EQ(admin.status, 0) << admin.err;
  auto priv = run_rm({"--privileged", "busybox", "sh", "-c", "mkdir /m && mount -t tmpfs t /m && echo ok"});
  EXPECT_EQ(priv.status, 0) << priv.err;
  EXPECT_NE(priv.out.find("ok"), std::string::npos);
  auto unconfined = run_rm({"--security-opt", "seccomp=unconfined", "busybox", "unshare", "-U", "true"});
  EXPECT_EQ(unconfined.status, 0) << unconfined.err;
}

TEST_P(SecureRun, CapabilitiesFollowCapAddAndCapDrop) {
  auto caps = [&](std::vector<std::string> flags) {
    flags.insert(flags.begin(), "run");
    flags.insert(flags.begin() + 1, "--rm");
    for (auto a : {"busybox", "sh", "-c", "grep CapEff /proc/self/status"}) flags.push_back(a);
    auto r = docker(flags);
    EXPECT_EQ(r.status, 0) << r.err;
    return r.out;
  };
  EXPECT_NE(caps({}).find("00000000a80425fb"), std::string::npos);  // Docker's default set
  EXPECT_NE(caps({"--cap-drop", "ALL"}).find("0000000000000000"), std::string::npos);
  EXPECT_NE(caps({"--cap-drop", "ALL", "--cap-add", "CAP_NET_ADMIN"}).find("0000000000001000"), std::string::npos);
  auto chown = run_rm({"--cap-drop", "ALL", "busybox", "sh", "-c", "touch /f && chown 1:1 /f"});
  EXPECT_NE(chown.status, 0);
  EXPECT_NE(chown.err.find("Operation not permitted"), std::string::npos) << chown.err;
  // --privileged: every capability the host's bounding set has (CAP_SYS_RESOURCE is missing
  // here: dockerd fails, berth starts).
  auto priv = caps({"--privileged"});
  auto host = berth::test::read_text("/proc/self/status");
  auto bnd = host.substr(host.find("CapBnd:") + 7);
  bnd = bnd.substr(bnd.find_first_not_of(" \t"), 16);
  EXPECT_NE(priv.find(bnd), std::string::npos) << priv << " vs host " << bnd;
}

TEST_P(SecureRun, UnknownCapabilityAndBadSecurityOptsCreateNothing) {
  int before = container_count();
  auto r = docker({"create", "--cap-add", "NOPE", "busybox", "true"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("unknown capability: \"CAP_NOPE\""), std::string::npos) << r.err;
  auto bad = berth::test::TempDir("seccomp-bad");
  berth::test::write_text(bad / "p.json", "{\"defaultAction\": ");
  auto s = docker({"create", "--security-opt", "seccomp=" + (bad / "p.json"), "busybox", "true"});
  EXPECT_NE(s.status, 0);  // the client checks the JSON itself
  auto raw = raw_request(d.socket_path(), "POST", "/containers/create",
                         R"({"Image":"busybox","Cmd":["true"],"HostConfig":{"SecurityOpt":["seccomp=not json"]}})");
  EXPECT_EQ(raw.status, 400) << raw.body;
  EXPECT_NE(raw.body.find("Decoding seccomp profile failed"), std::string::npos) << raw.body;
  auto sysctl = raw_request(d.socket_path(), "POST", "/containers/create",
                            R"({"Image":"busybox","Cmd":["true"],"HostConfig":{"Sysctls":{"kernel.domainname":"x"}}})");
  EXPECT_EQ(sysctl.status, 400) << sysctl.body;
  EXPECT_NE(sysctl.body.find("kernel.domainname"), std::string::npos) << sysctl.body;
  EXPECT_EQ(container_count(), before);
}

// The classic escape: a "namespaced" sysctl name that walks to kernel.core_pattern (host-wide:
// the host would run the container's program as root on the next crash).
TEST_P(SecureRun, SysctlNameCannotWalkOutOfItsNamespace) {
  auto before = berth::test::read_text("/proc/sys/kernel/core_pattern");
  int count = container_count();
  for (auto body : {R"({"Image":"busybox","Cmd":["true"],"HostConfig":{"Sysctls":{"net.ipv4/../../kernel/core_pattern":"|/bin/sh"}}})",
                    R"({"Image":"busybox","Cmd":["true"],"HostConfig":{"Sysctls":{"net.ipv4.conf.all..forwarding":"1"}}})"}) {
    auto r = raw_request(d.socket_path(), "POST", "/containers/create", body);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find("invalid name"), std::string::npos) << r.body;
  }
  EXPECT_EQ(container_count(), count);
  EXPECT_EQ(berth::test::read_text("/proc/sys/kernel/core_pattern"), before);
  // The docker client refuses it itself; the daemon would too.
  auto cli = docker({"run", "--rm", "--sysctl", "net.ipv4/../../kernel/core_pattern=|/bin/sh", "busybox", "true"});
  EXPECT_NE(cli.status, 0);
  EXPECT_EQ(berth::test::read_text("/proc/sys/kernel/core_pattern"), before);
}

TEST_P(SecureRun, ACustomProfileDeniesWhatItLists) {
  auto dir = berth::test::TempDir("seccomp-custom");
  berth::test::write_text(dir / "p.json", R"({"defaultAction":"SCMP_ACT_ALLOW",
    "syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]})");
  auto r = run_rm({"--security-opt", "seccomp=" + (dir / "p.json"), "busybox", "mkdir", "/x"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("Permission denied"), std::string::npos) << r.err;
}

TEST_P(SecureRun, MaskedReadOnlyPathsAndReadOnlyRoot) {
  auto kcore = run_rm({"busybox", "sh", "-c", "cat /proc/kcore | wc -c; ls /sys/firmware | wc -l"});
  EXPECT_EQ(kcore.status, 0) << kcore.err;
  EXPECT_EQ(kcore.out, "0\n0\n");
  auto sysrq = run_rm({"busybox", "sh", "-c", "echo 0 > /proc/sysrq-trigger"});
  EXPECT_NE(sysrq.status, 0);
  auto sys = run_rm({"busybox", "sh", "-c", "grep ' /sys ' /proc/mounts"});
  EXPECT_NE(sys.out.find(" ro,"), std::string::npos) << sys.out;
  auto priv_sys = run_rm({"--privileged", "busybox", "sh", "-c", "grep ' /sys ' /proc/mounts"});
  EXPECT_NE(priv_sys.out.find(" rw,"), std::string::npos) << priv_sys.out;
  auto ro = run_rm({"--read-only", "busybox", "touch", "/file"});
  EXPECT_NE(ro.status, 0);
  EXPECT_NE(ro.err.find("Read-only file system"), std::string::npos) << ro.err;
  auto nnp = run_rm({"--security-opt", "no-new-privileges", "busybox", "grep", "NoNewPrivs", "/proc/self/status"});
  EXPECT_NE(nnp.out.find("1"), std::string::npos) << nnp.out;
}

TEST_P(SecureRun, SysctlsGroupsAndNamespaceModes) {
  auto s = run_rm({"--sysctl", "net.ipv4.ip_forward=1", "busybox", "cat", "/proc/sys/net/ipv4/ip_forward"});
  EXPECT_EQ(s.status, 0) << s.err;
  EXPECT_EQ(s.out, "1\n");
  auto g = run_rm({"--group-add", "1234", "--group-add", "nogroup", "busybox", "id", "-G"});
  EXPECT_EQ(g.status, 0) << g.err;
  EXPECT_NE(g.out.find("1234"), std::string::npos) << g.out;
  EXPECT_NE(g.out.find("65534"), std::string::npos) << g.out;  // nogroup, from the image's /etc/group
  auto pid = run_rm({"--pid", "host", "busybox", "sh", "-c", "ls /proc | grep -c '^[0-9]'"});
  EXPECT_GT(std::stoi(pid.out.empty() ? "0" : pid.out), 5) << pid.out;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  auto uts = run_rm({"--uts", "host", "busybox", "hostname"});
  EXPECT_EQ(uts.out, std::string(host) + "\n") << uts.err;
  // IPC: a shareable donor and a joiner see the same SysV namespace.
  auto donor = run_d({"--ipc", "shareable", "busybox", "sleep", "60"});
  ASSERT_FALSE(donor.empty());
  auto joined = run_rm({"--ipc", "container:" + donor, "busybox", "readlink", "/proc/self/ns/ipc"});
  EXPECT_EQ(joined.status, 0) << joined.err;
  char link[128] = {};
  auto donor_ns = "/proc/" + std::to_string(inspect(donor)["State"]["Pid"].get<int>()) + "/ns/ipc";
  ASSERT_GT(readlink(donor_ns.c_str(), link, sizeof link - 1), 0);
  EXPECT_EQ(joined.out, std::string(link) + "\n");
  auto pid_join = run_rm({"--pid", "container:" + donor, "busybox", "sh", "-c", "ps -o comm | grep -c sleep"});
  EXPECT_EQ(pid_join.out, "1\n") << pid_join.err;
  // The donor's namespaces are found again at each start: after it restarts (new pid) a
  // created joiner joins the new ones; while it is stopped the joiner cannot start.
  auto joiner = docker({"create", "--pid", "container:" + donor, "busybox", "sleep", "60"});
  ASSERT_EQ(joiner.status, 0) << joiner.err;
  auto jid = lines(joiner.out).back();
  ASSERT_EQ(docker({"restart", "-t", "0", donor}).status, 0);
  ASSERT_EQ(docker({"start", jid}).status, 0);
  int donor_pid = inspect(donor)["State"]["Pid"], joiner_pid = inspect(jid)["State"]["Pid"];
  char a[128] = {}, b[128] = {};
  ASSERT_GT(readlink(("/proc/" + std::to_string(donor_pid) + "/ns/pid").c_str(), a, sizeof a - 1), 0);
  ASSERT_GT(readlink(("/proc/" + std::to_string(joiner_pid) + "/ns/pid").c_str(), b, sizeof b - 1), 0);
  EXPECT_STREQ(a, b);
  ASSERT_EQ(docker({"rm", "-f", jid}).status, 0);
  ASSERT_EQ(docker({"stop", "-t", "0", donor}).status, 0);
  auto late = docker({"run", "--rm", "--pid", "container:" + donor, "busybox", "true"});
  EXPECT_NE(late.status, 0);
  EXPECT_NE(late.err.find("cannot join PID of a non running container"), std::string::npos) << late.err;
  auto host_cgns = run_rm({"--cgroupns", "host", "busybox", "cat", "/proc/self/cgroup"});
  EXPECT_NE(host_cgns.out.find("/berth/"), std::string::npos) << host_cgns.out;
}

TEST_P(SecureRun, MemoryLimitAndOomKill) {
  auto id = run_d({"--memory", "32m", "busybox", "sleep", "60"});
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(cgroup_file("memory", id, "memory.limit_in_bytes"), std::to_string(32 * 1024 * 1024));
  auto hc = inspect(id)["HostConfig"];
  EXPECT_EQ(hc["Memory"], 32 * 1024 * 1024);
  auto kmem = docker({"create", "--memory", "32m", "--kernel-memory", "8m", "busybox", "true"});
  EXPECT_EQ(kmem.status, 0) << kmem.err;
  // docker 28 no longer sends it (API 1.42 dropped it); 20.10 does and shows dockerd's warning.
  if (GetParam() == kDocker20) {
    EXPECT_NE(kmem.err.find("Specifying a kernel memory limit is deprecated"), std::string::npos) << kmem.err;
  }
  EXPECT_EQ(inspect(lines(kmem.out).back())["HostConfig"]["KernelMemory"], 0);  // not applied
  auto priv = docker({"create", "--privileged", "busybox", "true"});
  ASSERT_EQ(priv.status, 0) << priv.err;
  auto priv_hc = inspect(lines(priv.out).back())["HostConfig"];
  EXPECT_TRUE(priv_hc["MaskedPaths"].is_null()) << priv_hc.dump();
  EXPECT_EQ(hc["MaskedPaths"].size(), 11u);
  EXPECT_EQ(hc["IpcMode"], "private");
  EXPECT_EQ(hc["ShmSize"], 64 << 20);
  auto stats = docker({"stats", "--no-stream", "--format", "{{.MemUsage}}", id});
  EXPECT_NE(stats.out.find("32MiB"), std::string::npos) << stats.out << stats.err;
  // tail buffers /dev/zero's endless line: the cgroup's OOM killer ends it.
  auto hog = run_d({"--memory", "32m", "busybox", "tail", "/dev/zero"});
  ASSERT_FALSE(hog.empty());
  ASSERT_TRUE(wait_status(hog, "exited", 60s));
  auto st = inspect(hog)["State"];
  EXPECT_EQ(st["OOMKilled"], true) << st.dump();
  EXPECT_EQ(st["ExitCode"], 137);
  auto oom = event_times(hog, "oom"), die = event_times(hog, "die");
  ASSERT_EQ(oom.size(), 1u);
  ASSERT_EQ(die.size(), 1u);
  EXPECT_LE(oom[0], die[0]);
  EXPECT_EQ(inspect(id)["State"]["OOMKilled"], false);
}

TEST_P(SecureRun, PidsLimitStopsAForkBomb) {
  // The inner shell forks until the limit refuses it; the outer one stays (exec: no fork).
  auto id = run_d({"--pids-limit", "10", "busybox", "sh", "-c",
                   "sh -c 'for i in $(seq 1 40); do sleep 30 & done'; echo bombed; exec sleep 60"});
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(cgroup_file("pids", id, "pids.max"), "10");
  EXPECT_TRUE(berth::test::wait_until([&] { return docker({"logs", id}).out.find("bombed") != std::string::npos; }, 20s));
  auto logs = docker({"logs", id});
  EXPECT_NE(logs.err.find("can't fork"), std::string::npos) << logs.out << logs.err;
  EXPECT_EQ(status(id), "running");
  auto current = cgroup_file("pids", id, "pids.current");
  ASSERT_FALSE(current.empty());
  EXPECT_LE(std::stoi(current), 10);
}

TEST_P(SecureRun, CpusSetQuotaAndUpdateChangesALiveCgroup) {
  auto id = run_d({"--cpus", "0.5", "--cpu-shares", "512", "busybox", "sleep", "60"});
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(cgroup_file("cpu", id, "cpu.cfs_period_us"), "100000");
  EXPECT_EQ(cgroup_file("cpu", id, "cpu.cfs_quota_us"), "50000");
  EXPECT_EQ(cgroup_file("cpu", id, "cpu.shares"), "512");
  EXPECT_EQ(inspect(id)["HostConfig"]["NanoCpus"], 500000000);
  auto u = docker({"update", "--memory", "64m", "--memory-swap", "-1", "--pids-limit", "20", id});
  ASSERT_EQ(u.status, 0) << u.err;
  EXPECT_EQ(cgroup_file("memory", id, "memory.limit_in_bytes"), std::to_string(64 * 1024 * 1024));
  EXPECT_EQ(cgroup_file("pids", id, "pids.max"), "20");
  auto hc = inspect(id)["HostConfig"];
  EXPECT_EQ(hc["Memory"], 64 * 1024 * 1024);
  EXPECT_EQ(hc["PidsLimit"], 20);
  ASSERT_EQ(docker({"update", "--pids-limit", "-1", id}).status, 0);
  EXPECT_EQ(cgroup_file("pids", id, "pids.max"), "max");
  EXPECT_TRUE(inspect(id)["HostConfig"]["PidsLimit"].is_null());
}

TEST_P(SecureRun, UlimitsShmSizeAndDevices) {
  auto r = run_rm({"--ulimit", "nofile=512:1024", "--shm-size", "8m", "--device", "/dev/loop-control", "busybox", "sh",
                   "-c", "ulimit -n; ulimit -Hn; df -k /dev/shm | tail -1; ls -l /dev/loop-control"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("512\n1024\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" 8192 "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("loop-control"), std::string::npos) << r.out;
}

TEST_P(SecureRun, OomScoreAdjNeverBelowBerthds) {
  auto up = run_rm({"--oom-score-adj", "500", "busybox", "cat", "/proc/self/oom_score_adj"});
  EXPECT_EQ(up.status, 0) << up.err;
  EXPECT_EQ(up.out, "500\n");
  // Lower than berthd's own needs CAP_SYS_RESOURCE, which this host's bounding set lacks: the
  // container starts with berthd's score and a warning, where dockerd fails.
  auto own = berth::test::read_text("/proc/" + std::to_string(d.pid()) + "/oom_score_adj");
  auto down = docker({"create", "--oom-score-adj", "-900", "busybox", "cat", "/proc/self/oom_score_adj"});
  ASSERT_EQ(down.status, 0) << down.err;
  auto caps = berth::test::read_text("/proc/self/status");
  bool has_sys_resource = false;
  {
    auto bnd = caps.substr(caps.find("CapBnd:") + 7);
    has_sys_resource = std::stoull(bnd, nullptr, 16) & (1ull << 24);
  }
  auto id = lines(down.out).back();
  auto started = docker({"start", "-a", id});
  EXPECT_EQ(started.status, 0) << started.err;
  if (!has_sys_resource) {
    EXPECT_NE(down.err.find("below berthd's own"), std::string::npos) << down.err;
    EXPECT_EQ(started.out, own);
  } else {
    EXPECT_EQ(started.out, "-900\n");
  }
}

TEST_P(SecureRun, BadResourceValuesCreateNothing) {
  int before = container_count();
  auto mem = docker({"create", "--memory", "1x", "busybox", "true"});
  EXPECT_NE(mem.status, 0);  // the client refuses it
  auto small = docker({"create", "--memory", "1m", "busybox", "true"});
  EXPECT_NE(small.status, 0);
  EXPECT_NE(small.err.find("Minimum memory limit allowed is 6MB"), std::string::npos) << small.err;
  auto cpus = docker({"create", "--cpus", "-1", "busybox", "true"});
  EXPECT_NE(cpus.status, 0);
  EXPECT_NE(cpus.err.find("Range of CPUs is from 0.01 to"), std::string::npos) << cpus.err;
  auto cpuset = docker({"create", "--cpuset-cpus", "99", "busybox", "true"});
  EXPECT_NE(cpuset.status, 0);
  auto online = berth::test::read_text("/sys/devices/system/cpu/online");
  online.pop_back();
  EXPECT_NE(cpuset.err.find("Requested CPUs are not available - requested 99, available: " + online), std::string::npos)
      << cpuset.err;
  auto sysctl = docker({"create", "--sysctl", "kernel.domainname=x", "busybox", "true"});
  EXPECT_NE(sysctl.status, 0);
  auto raw = raw_request(d.socket_path(), "POST", "/containers/create",
                         R"({"Image":"busybox","Cmd":["true"],"HostConfig":{"Memory":1048576}})");
  EXPECT_EQ(raw.status, 400) << raw.body;
  EXPECT_EQ(container_count(), before);
}

// berth's own CLI takes the same flags (once: the docker client parameter does not matter).
TEST_P(SecureRun, BerthCliFlags) {
  if (GetParam() != kDocker28) GTEST_SKIP() << "berth's CLI is tested once";
  auto berth = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"env", "BERTH_HOST=" + d.host(), berth::test::bin("berth")});
    return berth::test::run(args, "", std::chrono::seconds(60));
  };
  auto r = berth({"run", "--rm", "--cap-drop", "ALL", "--read-only", "--pids-limit", "5", "busybox", "sh", "-c",
                  "grep CapEff /proc/self/status; touch /x 2>&1; cat /sys/fs/cgroup/pids/pids.max"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("0000000000000000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Read-only file system"), std::string::npos) << r.out;
  auto id = berth({"run", "-d", "--memory", "32m", "--cpus", "0.5", "busybox", "sleep", "60"});
  ASSERT_EQ(id.status, 0) << id.err;
  auto cid = lines(id.out).back();
  EXPECT_EQ(cgroup_file("memory", cid, "memory.limit_in_bytes"), std::to_string(32 << 20));
  EXPECT_EQ(cgroup_file("cpu", cid, "cpu.cfs_quota_us"), "50000");
  auto u = berth({"update", "--memory", "48m", cid});
  EXPECT_EQ(u.status, 0) << u.err;
  EXPECT_EQ(cgroup_file("memory", cid, "memory.limit_in_bytes"), std::to_string(48 << 20));
  auto bad = berth({"run", "--rm", "--memory", "1x", "busybox", "true"});
  EXPECT_EQ(bad.status, 125);
  EXPECT_NE(bad.err.find("invalid size: '1x'"), std::string::npos) << bad.err;
  auto small = berth({"create", "--memory", "1m", "busybox", "true"});
  EXPECT_EQ(small.status, 125);
  EXPECT_NE(small.err.find("Minimum memory limit allowed is 6MB"), std::string::npos) << small.err;
}

INSTANTIATE_TEST_SUITE_P(Clients, SecureRun, ::testing::Values(kDocker28, kDocker20),
                         [](const auto& info) { return info.param == kDocker28 ? "docker28" : "docker20"; });

// daemon.json's default-ulimits under the container's own --ulimit; a hard limit above what
// berthd may raise (no CAP_SYS_RESOURCE here) is lowered to the host's, and the container starts.
TEST(SecureDaemon, DefaultUlimitsFromDaemonJson) {
  rlimit host{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &host), 0);
  auto above = std::to_string(host.rlim_max + 1000);
  Berthd d({}, R"({"default-ulimits": {"nproc": {"Name": "nproc", "Soft": 1024, "Hard": 2048},
                                        "nofile": {"Name": "nofile", "Soft": 4096, "Hard": )" + above + "}}}");
  ASSERT_TRUE(d.ready()) << d.log();
  ASSERT_EQ(d.docker({"load", "-i", busybox_archive()}).status, 0);
  auto r = d.docker({"run", "--rm", "busybox", "sh", "-c", "ulimit -u; ulimit -Hu; ulimit -n; ulimit -Hn"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto caps = berth::test::read_text("/proc/self/status");
  bool has_sys_resource = std::stoull(caps.substr(caps.find("CapBnd:") + 7), nullptr, 16) & (1ull << 24);
  std::string hard = has_sys_resource ? above : std::to_string(host.rlim_max);
  EXPECT_EQ(r.out, "1024\n2048\n4096\n" + hard + "\n");
  auto own = d.docker({"run", "--rm", "--ulimit", "nproc=100:200", "busybox", "sh", "-c", "ulimit -u; ulimit -Hu"});
  EXPECT_EQ(own.out, "100\n200\n") << own.err;
}
