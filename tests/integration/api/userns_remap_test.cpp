// userns-remap: a berthd whose daemon.json says "userns-remap": "default" creates dockremap
// and its subordinate ranges as dockerd does (removed again by the test when it made them);
// every container then runs as root of a user namespace mapped to that range: its files are
// owned by the range's first id on the host, it cannot write a root-owned host dir, its
// /etc files, volumes and /dev/shm work; --privileged is refused without --userns=host; and
// nothing berth made for it (mounts) is left after removal and berthd's stop.
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/berthd_fixture.hpp"
#include "api/busybox_archive.hpp"

using namespace berth::api::test;

namespace {

constexpr const char* kUser = "dockremap";

// The first "dockremap:start:count" entry of a subid file; 0 when there is none.
uint32_t range_start(const std::string& path) {
  std::istringstream in(berth::test::read_text(path));
  for (std::string line; std::getline(in, line);)
    if (line.rfind(std::string(kUser) + ":", 0) == 0) return static_cast<uint32_t>(std::stoul(line.substr(line.find(':') + 1)));
  return 0;
}

void drop_lines_of(const std::string& path, const std::string& owner) {
  std::istringstream in(berth::test::read_text(path));
  std::string kept;
  for (std::string line; std::getline(in, line);)
    if (line.rfind(owner + ":", 0) != 0) kept += line + "\n";
  berth::test::write_text(path, kept);
}

// Mounts whose mount point or source lies under dir.
std::vector<std::string> mounts_under(const std::string& dir) {
  std::vector<std::string> out;
  std::istringstream in(berth::test::read_text("/proc/self/mountinfo"));
  for (std::string line; std::getline(in, line);)
    if (line.find(" " + dir + "/") != std::string::npos) out.push_back(line);
  return out;
}

class UsernsRemap : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { had_user_ = getpwnam(kUser) != nullptr; }
  // Only what this suite made goes: the user and its ranges, if dockremap was not there before.
  static void TearDownTestSuite() {
    if (had_user_ || !getpwnam(kUser)) return;
    berth::test::run({"userdel", kUser});
    drop_lines_of("/etc/subuid", kUser);
    drop_lines_of("/etc/subgid", kUser);
  }
  void SetUp() override {
    ASSERT_FALSE(busybox_archive().empty());
    ASSERT_TRUE(d.ready()) << d.log();
    // As /var/lib is: a remapped root passes through the directories above the data root.
    ASSERT_EQ(chmod(std::filesystem::path(d.path("data")).parent_path().c_str(), 0711), 0);
    auto r = d.docker({"load", "-i", busybox_archive()});
    ASSERT_EQ(r.status, 0) << r.err;
  }
  void TearDown() override {
    std::istringstream in(d.docker({"ps", "-aq"}).out);
    for (std::string id; in >> id;) d.docker({"rm", "-f", id});
    std::istringstream vols(d.docker({"volume", "ls", "-q"}).out);
    for (std::string v; vols >> v;) d.docker({"volume", "rm", "-f", v});
  }
  std::string out(std::vector<std::string> args) {
    auto r = d.docker(std::move(args));
    EXPECT_EQ(r.status, 0) << r.err;
    return r.out;
  }
  static inline bool had_user_ = false;
  Berthd d{{}, R"({"userns-remap": "default"})"};
};

}  // namespace

TEST_F(UsernsRemap, DefaultCreatesDockremapWithDockerdsRanges) {
  struct passwd* pw = getpwnam(kUser);
  ASSERT_NE(pw, nullptr) << "berthd made no dockremap user";
  EXPECT_GE(range_start("/etc/subuid"), 100000u);
  EXPECT_GE(range_start("/etc/subgid"), 100000u);
  EXPECT_NE(berth::test::read_text("/etc/subuid").find(":65536\n"), std::string::npos) << "dockerd's range size";
  auto info = out({"info", "--format", "{{json .SecurityOptions}}"});
  EXPECT_NE(info.find("name=userns"), std::string::npos) << info;
}

TEST_F(UsernsRemap, ContainerRootIsTheRangesFirstIdOnTheHost) {
  uint32_t uid = range_start("/etc/subuid"), gid = range_start("/etc/subgid");
  ASSERT_GT(uid, 0u);
  auto r = d.docker({"run", "--name", "rc", "busybox", "sh", "-c",
                     "id; touch /x; ls -ln / | grep ' bin$'; cat /proc/self/uid_map /proc/self/gid_map"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("uid=0(root) gid=0(root)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" 0        0 "), std::string::npos) << "the image's files are root's inside: " << r.out;
  char want_uid[64], want_gid[64];  // the kernel's "%10u %10u %10u"
  snprintf(want_uid, sizeof want_uid, "%10u %10u %10u\n", 0u, uid, 65536u);
  snprintf(want_gid, sizeof want_gid, "%10u %10u %10u\n", 0u, gid, 65536u);
  EXPECT_NE(r.out.find(std::string(want_uid) + want_gid), std::string::npos) << r.out;
  ASSERT_EQ(d.docker({"run", "-d", "--name", "rx", "busybox", "sleep", "600"}).status, 0);
  auto ex = d.docker({"exec", "rx", "sh", "-c", "id -u; cat /proc/self/uid_map"});
  ASSERT_EQ(ex.status, 0) << ex.err;
  EXPECT_EQ(ex.out, "0\n" + std::string(want_uid)) << "exec enters the same user namespace";
  auto upper = out({"inspect", "rc", "-f", "{{.GraphDriver.Data.UpperDir}}"});
  upper.pop_back();
  struct stat st{};
  ASSERT_EQ(stat((upper + "/x").c_str(), &st), 0) << upper;
  EXPECT_EQ(st.st_uid, uid) << "a file the container writes is the remapped root's on the host";
  EXPECT_EQ(st.st_gid, gid);
  // Its commit is an ordinary layer: the file is root's in it, also for a container without remap.
  ASSERT_EQ(d.docker({"commit", "rc", "remapped-commit"}).status, 0);
  auto c = d.docker({"run", "--rm", "--userns", "host", "remapped-commit", "stat", "-c", "%u %g", "/x"});
  ASSERT_EQ(c.status, 0) << c.err;
  EXPECT_EQ(c.out, "0 0\n");
  d.docker({"rmi", "remapped-commit"});
}

TEST_F(UsernsRemap, EtcFilesShmAndVolumesWorkForTheRemappedRoot) {
  uint32_t uid = range_start("/etc/subuid");
  ASSERT_EQ(d.docker({"volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=1m", "utmp"}).status, 0);
  auto r = d.docker({"run", "--rm", "-v", "uvol:/data", "-v", "/fresh", "-v", "utmp:/vt", "--tmpfs", "/t", "busybox",
                     "sh", "-c",
                     "set -e; echo 10.9.8.7 extra >> /etc/hosts; grep -q extra /etc/hosts; cat /etc/resolv.conf >/dev/null;"
                     "hostname >/dev/null; touch /dev/shm/s /data/f /fresh/f /t/f /vt/f; stat -c '%u' /data/f"});
  ASSERT_EQ(r.status, 0) << r.err << r.out;
  EXPECT_EQ(r.out, "0\n");
  auto shm = d.docker({"run", "--rm", "--ipc", "shareable", "busybox", "touch", "/dev/shm/s"});
  EXPECT_EQ(shm.status, 0) << "a shareable /dev/shm is the remapped root's too: " << shm.err;
  struct stat st{};
  ASSERT_EQ(stat(d.path("data/volumes/uvol/_data/f").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, uid) << "the volume's file is the remapped root's on the host";
}

TEST_F(UsernsRemap, RootOwnedHostDirIsNotWritableInside) {
  berth::test::TempDir host("berth-userns-bind");
  ASSERT_EQ(chmod(host.path().c_str(), 0700), 0);
  auto r = d.docker({"run", "--rm", "-v", host.path() + ":/b", "busybox", "sh", "-c", "touch /b/f"});
  EXPECT_NE(r.status, 0) << "root inside is not root on the host";
  EXPECT_FALSE(std::filesystem::exists(host / "f"));
}

TEST_F(UsernsRemap, PrivilegedNeedsUsernsHostAsInDockerd) {
  auto r = d.docker({"run", "--rm", "--privileged", "busybox", "true"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("privileged mode is incompatible with user namespaces.  You must run the container in the host "
                       "namespace when running privileged mode"),
            std::string::npos)
      << r.err;
  auto net = d.docker({"run", "--rm", "--net", "host", "busybox", "true"});
  EXPECT_NE(net.err.find("cannot share the host's network namespace when user namespaces are enabled"), std::string::npos)
      << net.err;
  EXPECT_EQ(out({"ps", "-aq"}), "") << "a refused create leaves nothing";
  auto host = d.docker({"run", "--rm", "--privileged", "--userns", "host", "busybox", "cat", "/proc/self/uid_map"});
  ASSERT_EQ(host.status, 0) << host.err;
  EXPECT_NE(host.out.find("4294967295"), std::string::npos) << "--userns=host: the host's mapping: " << host.out;
}

TEST_F(UsernsRemap, NothingIsLeftAfterRemovalAndStop) {
  ASSERT_EQ(d.docker({"run", "-d", "--name", "lc", "-v", "lvol:/v", "busybox", "sleep", "600"}).status, 0);
  EXPECT_FALSE(mounts_under(d.path("data")).empty()) << "its root filesystem is mounted while it exists";
  ASSERT_EQ(d.docker({"rm", "-f", "lc"}).status, 0);
  EXPECT_EQ(mounts_under(d.path("data")), std::vector<std::string>{});
  ASSERT_EQ(d.docker({"run", "--rm", "busybox", "true"}).status, 0);
  EXPECT_EQ(d.stop(), 0) << d.log();
  EXPECT_EQ(mounts_under(d.path("data")), std::vector<std::string>{});
  EXPECT_EQ(mounts_under(d.path("exec")), std::vector<std::string>{});
}

// Values that name no ranges: berthd does not start, and says which file lacks them.
TEST(UsernsRemapConfig, MissingRangesNameTheFile) {
  ASSERT_NE(getpwnam("daemon"), nullptr);
  Berthd d{{}, R"({"userns-remap": "daemon"})"};
  EXPECT_FALSE(d.ready());
  EXPECT_NE(d.log().find("no subuid ranges found for user \"daemon\" in /etc/subuid"), std::string::npos) << d.log();
  Berthd flag{{"--userns-remap", "no-such-user-here"}};
  EXPECT_FALSE(flag.ready());
  EXPECT_NE(flag.log().find("no such user \"no-such-user-here\""), std::string::npos) << flag.log();
}
