// User namespaces: several mapping ranges, the rootless spec run as root, idmapped mounts.
#include <sys/stat.h>

#include "runtime_fixture.hpp"

namespace berth::test {

class UsernsTest : public RuntimeTest {
 protected:
  void SetUp() override {
    RuntimeTest::SetUp();
    if (IsSkipped()) return;
    chmod(tmp->path().c_str(), 0755);  // mapped ids must reach the bundle
  }
  void add_userns(const nlohmann::json& uids, const nlohmann::json& gids) {
    auto& lx = bundle->config["linux"];
    lx["namespaces"].push_back({{"type", "user"}});
    lx["uidMappings"] = uids;
    lx["gidMappings"] = gids;
    bundle->config["root"]["readonly"] = true;
  }
};

TEST_F(UsernsTest, MultipleMappingRanges) {
  nlohmann::json m = {{{"containerID", 0}, {"hostID", 200000}, {"size", 1000}},
                      {{"containerID", 1000}, {"hostID", 300000}, {"size", 1000}}};
  add_userns(m, m);
  auto r = sh_in("cat /proc/self/uid_map | tr -s ' '");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, " 0 200000 1000\n 1000 300000 1000\n");
}

TEST_F(UsernsTest, FilesShowMappedOwners) {
  // A file owned by host uid 200005 is uid 5 inside; host root's files are the overflow uid.
  ASSERT_EQ(sh("touch " + bundle->dir + "/rootfs/tmp/owned && chown 200005:200007 " + bundle->dir + "/rootfs/tmp/owned").status, 0);
  nlohmann::json m = {{{"containerID", 0}, {"hostID", 200000}, {"size", 65536}}};
  add_userns(m, m);
  auto r = sh_in("stat -c '%u %g' /tmp/owned; stat -c %u /bin/busybox");
  EXPECT_EQ(r.out, "5 7\n65534\n") << r.err;
}

TEST_F(UsernsTest, RootlessSpecRunsAsRoot) {
  TempDir d("berth-rootless");
  chmod(d.path().c_str(), 0755);
  make_busybox_rootfs(d / "rootfs");
  ASSERT_EQ(run({bin("berth-runtime"), "spec", "--rootless", "--bundle", d.path()}).status, 0);
  auto cfg = nlohmann::json::parse(read_text(d / "config.json"));
  cfg["process"]["terminal"] = false;
  cfg["process"]["args"] = {"sh", "-c", "id -u; cat /proc/self/uid_map | tr -s ' '"};
  write_text(d / "config.json", cfg.dump());
  std::string id = unique_id("rl");
  created.push_back(id);
  auto r = rt({"run", "--bundle", d.path(), id});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "0\n 0 0 1\n");
}

TEST_F(UsernsTest, IdmappedBindMountShiftsOwners) {
  std::string src = tmp->path() + "/idsrc";
  ASSERT_EQ(sh("mkdir -p " + src + " && touch " + src + "/f && chown 0:0 " + src + "/f").status, 0);
  bundle->config["mounts"].push_back({{"destination", "/idm"},
                                      {"type", "bind"},
                                      {"source", src},
                                      {"options", {"bind"}},
                                      {"uidMappings", {{{"containerID", 0}, {"hostID", 1234}, {"size", 1}}}},
                                      {"gidMappings", {{{"containerID", 0}, {"hostID", 4321}, {"size", 1}}}}});
  auto r = sh_in("stat -c '%u %g' /idm/f");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "1234 4321\n");
}

TEST_F(UsernsTest, MappingsWithoutUserNamespaceAreRefused) {
  bundle->config["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}};
  auto r = sh_in("true");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("linux.uidMappings: mappings given without a user namespace"), std::string::npos) << r.err;
}

}  // namespace berth::test
