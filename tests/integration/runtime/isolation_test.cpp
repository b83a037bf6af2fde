// What a process sees from inside: namespaces, root filesystem, devices, the process settings.
#include <sys/stat.h>

#include "runtime_fixture.hpp"

namespace berth::test {

TEST_F(RuntimeTest, PidNamespaceMakesInitPidOne) {
  auto r = sh_in("echo $$; ps -o pid,comm | wc -l");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, 2), "1\n");
}

TEST_F(RuntimeTest, UtsNamespaceSetsHostnameAndDomainname) {
  bundle->config["hostname"] = "boxy";
  bundle->config["domainname"] = "example.test";
  auto r = sh_in("hostname; cat /proc/sys/kernel/domainname");
  EXPECT_EQ(r.out, "boxy\nexample.test\n") << r.err;
}

TEST_F(RuntimeTest, NetworkNamespaceHasOnlyLoopback) {
  auto r = sh_in("cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '");
  EXPECT_EQ(r.out, "lo\n") << r.err;
}

TEST_F(RuntimeTest, EveryNamespaceDiffersFromTheHost) {
  for (const char* ns : {"pid", "net", "mnt", "ipc", "uts", "cgroup"}) {
    std::string host = sh(std::string("readlink /proc/self/ns/") + ns).out;
    auto r = sh_in(std::string("readlink /proc/self/ns/") + ns);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out, host) << ns;
  }
}

TEST_F(RuntimeTest, TimeNamespaceAppliesBoottimeOffset) {
  bundle->config["linux"]["namespaces"].push_back({{"type", "time"}});
  bundle->config["linux"]["timeOffsets"] = {{"boottime", {{"secs", 86400 * 10}, {"nanosecs", 0}}}};
  auto r = sh_in("cut -d. -f1 /proc/uptime");
  ASSERT_EQ(r.status, 0) << r.err;
  long host_uptime = std::stol(sh("cut -d. -f1 /proc/uptime").out);
  EXPECT_GE(std::stol(r.out), host_uptime + 86400 * 10 - 5);
}

TEST_F(RuntimeTest, JoinsAnotherContainersNetworkNamespaceByPath) {
  std::string a = create_sleeper();
  int pid = pid_of(a);
  std::string want = sh("readlink /proc/" + std::to_string(pid) + "/ns/net").out;
  for (auto& ns : bundle->config["linux"]["namespaces"])
    if (ns["type"] == "network") ns["path"] = "/proc/" + std::to_string(pid) + "/ns/net";
  auto r = sh_in("readlink /proc/self/ns/net");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, want);
}

TEST_F(RuntimeTest, UserNamespaceMapsRootToAnUnprivilegedHostUid) {
  auto& lx = bundle->config["linux"];
  lx["namespaces"].push_back({{"type", "user"}});
  lx["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  lx["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  // The rootfs must be readable by the mapped ids; a read-only busybox root is.
  bundle->config["root"]["readonly"] = true;
  bundle->config["linux"].erase("resources");
  chmod(tmp->path().c_str(), 0755);  // mkdtemp's 0700 would hide the bundle from the mapped root
  auto r = sh_in("id -u; cat /proc/self/uid_map");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, 2), "0\n");
  EXPECT_NE(r.out.find("100000"), std::string::npos) << r.out;
}

TEST_F(RuntimeTest, ReadonlyRootRefusesWrites) {
  bundle->config["root"]["readonly"] = true;
  auto r = sh_in("touch /newfile");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << r.err;
}

TEST_F(RuntimeTest, WritableRootWhenNotReadonly) {
  bundle->config["root"]["readonly"] = false;
  auto r = sh_in("echo x > /tmp/f && cat /tmp/f");
  EXPECT_EQ(r.out, "x\n") << r.err;
}

TEST_F(RuntimeTest, MaskedAndReadonlyPaths) {
  ASSERT_NE(sh("wc -c < /proc/keys").out, "0\n") << "host /proc/keys is empty: the test cannot tell";
  auto r = sh_in("wc -c < /proc/keys; ls /sys/firmware | wc -l; echo 1 > /proc/sys/kernel/hostname && echo wrote");
  ASSERT_EQ(r.out.substr(0, 4), "0\n0\n") << r.out << r.err;
  EXPECT_EQ(r.out.find("wrote"), std::string::npos);
}

TEST_F(RuntimeTest, BindMountWithReadOnlyOption) {
  std::string src = tmp->path() + "/shared";
  ASSERT_EQ(sh("mkdir -p " + src + " && echo data > " + src + "/f").status, 0);
  bundle->config["mounts"].push_back(
      {{"destination", "/data"}, {"type", "bind"}, {"source", src}, {"options", {"rbind", "ro", "nosuid"}}});
  auto r = sh_in("cat /data/f; touch /data/g && echo wrote; grep ' /data ' /proc/self/mountinfo");
  EXPECT_EQ(r.out.substr(0, 5), "data\n") << r.err;
  EXPECT_EQ(r.out.find("wrote"), std::string::npos);
  EXPECT_NE(r.out.find(" ro,nosuid"), std::string::npos) << r.out;
}

TEST_F(RuntimeTest, TmpfsMountWithOptions) {
  bundle->config["mounts"].push_back(
      {{"destination", "/scratch"}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", {"nosuid", "noexec", "size=1m", "mode=1777"}}});
  auto r = sh_in("stat -c %a /scratch; grep ' /scratch ' /proc/self/mountinfo");
  EXPECT_EQ(r.out.substr(0, 5), "1777\n") << r.err;
  EXPECT_NE(r.out.find("noexec"), std::string::npos);
  EXPECT_NE(r.out.find("size=1024k"), std::string::npos) << r.out;
}

TEST_F(RuntimeTest, DefaultDevicesAndLinks) {
  auto r = sh_in("ls -l /dev/null /dev/zero /dev/urandom | wc -l; readlink /dev/fd; readlink /dev/ptmx; echo x > /dev/null && echo ok");
  EXPECT_EQ(r.out, "3\n/proc/self/fd\npts/ptmx\nok\n") << r.err;
}

TEST_F(RuntimeTest, LinuxDevicesAreCreated) {
  bundle->config["linux"]["devices"] = {
      {{"path", "/dev/mydev"}, {"type", "c"}, {"major", 1}, {"minor", 7}, {"fileMode", 0640}, {"uid", 5}, {"gid", 6}}};
  bundle->config["linux"]["resources"]["devices"].push_back({{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 7}, {"access", "rwm"}});
  auto r = sh_in("stat -c '%t,%T %a %u %g' /dev/mydev");
  EXPECT_EQ(r.out, "1,7 640 5 6\n") << r.err;
}

TEST_F(RuntimeTest, ProcessUserCwdEnvUmask) {
  auto& p = bundle->config["process"];
  p["user"] = {{"uid", 1000}, {"gid", 1001}, {"additionalGids", {2000, 2001}}, {"umask", 077}};
  p["cwd"] = "/tmp";
  p["env"] = {"PATH=/bin", "GREETING=hi"};
  auto r = sh_in("id -u; id -g; id -G; pwd; echo $GREETING; umask");
  EXPECT_EQ(r.out, "1000\n1001\n1001 2000 2001\n/tmp\nhi\n0077\n") << r.err;
}

TEST_F(RuntimeTest, CapabilitiesAreExactlyTheConfiguredSets) {
  // CAP_KILL(5), CAP_NET_BIND_SERVICE(10), CAP_AUDIT_WRITE(29) -> 0x20000420
  auto r = sh_in("grep -E '^Cap(Eff|Prm|Bnd|Amb)' /proc/self/status");
  EXPECT_NE(r.out.find("CapEff:\t0000000020000420"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("CapBnd:\t0000000020000420"), std::string::npos) << r.out;
  // Ambient capabilities need the inheritable set too (which the default spec leaves empty), as in runc.
  EXPECT_NE(r.out.find("CapAmb:\t0000000000000000"), std::string::npos) << r.out;
}

TEST_F(RuntimeTest, CapabilityMissingFromHostBoundingSetIsDroppedWithWarning) {
  // This host (like many) has no CAP_SYS_RESOURCE in its bounding set: granting it cannot work.
  bool host_has = sh("grep CapBnd /proc/self/status").out.find("1fffeffffff") == std::string::npos;
  if (host_has) GTEST_SKIP() << "host bounding set includes CAP_SYS_RESOURCE";
  for (const char* set : {"bounding", "effective", "permitted"})
    bundle->config["process"]["capabilities"][set].push_back("CAP_SYS_RESOURCE");
  auto r = sh_in("grep CapEff /proc/self/status");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("0000000020000420"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("CAP_SYS_RESOURCE"), std::string::npos) << r.err;
}

TEST_F(RuntimeTest, NoNewPrivilegesAndOomScore) {
  bundle->config["process"]["noNewPrivileges"] = true;
  bundle->config["process"]["oomScoreAdj"] = 123;
  auto r = sh_in("grep NoNewPrivs /proc/self/status; cat /proc/self/oom_score_adj");
  EXPECT_EQ(r.out, "NoNewPrivs:\t1\n123\n") << r.err;
}

TEST_F(RuntimeTest, RlimitsApplyAndHardLimitAboveHostIsClamped) {
  bundle->config["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 512}, {"hard", 768}},
                                          {{"type", "RLIMIT_NPROC"}, {"soft", 300}, {"hard", 400}}};
  auto r = sh_in("ulimit -n; ulimit -Hn; ulimit -u");
  EXPECT_EQ(r.out, "512\n768\n300\n") << r.err;
  long host_hard = std::stol(sh("ulimit -Hn").out);
  bundle->config["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 1024}, {"hard", host_hard * 4}}};
  auto c = sh_in("ulimit -Hn");
  ASSERT_EQ(c.status, 0) << c.err;
  long got = std::stol(c.out);
  // As root with CAP_SYS_RESOURCE the raise works; without it we get the host's maximum and a warning.
  if (got != host_hard * 4) {
    EXPECT_EQ(got, host_hard);
    EXPECT_NE(c.err.find("clamped"), std::string::npos) << c.err;
  }
}

TEST_F(RuntimeTest, SysctlIsWrittenInsideTheNetworkNamespace) {
  bundle->config["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
  auto r = sh_in("cat /proc/sys/net/ipv4/ip_forward");
  EXPECT_EQ(r.out, "1\n") << r.err;
}

TEST_F(RuntimeTest, MountPropagationPrivateDoesNotLeak) {
  bundle->config["linux"]["rootfsPropagation"] = "private";
  auto r = sh_in("awk '$5 == \"/\"' /proc/self/mountinfo");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.find("shared:"), std::string::npos) << r.out;
}

TEST_F(RuntimeTest, NoPivotUsesChroot) {
  bundle->config["process"]["args"] = {"sh", "-c", "echo ok; ls /"};
  bundle->write();
  std::string id = unique_id("np");
  created.push_back(id);
  auto r = rt({"run", "--no-pivot", "--bundle", bundle->dir, id});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, 3), "ok\n");
}

}  // namespace berth::test
