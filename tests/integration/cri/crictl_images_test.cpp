// crictl (cri-tools 1.26) against berthd's CRI socket: version, info, and the image calls
// (pull through registry mirrors, with and without credentials; images, inspecti, rmi,
// imagefsinfo), with the images shared with the Docker API side of the same daemon.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cri/cri_fixture.hpp"

using namespace berth::cri::test;
using nlohmann::json;

namespace {

class CrictlImages : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { regs = new SeededRegistries(); }
  static void TearDownTestSuite() {
    delete regs;
    regs = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(berth::test::have_program("docker-registry")) << "docker-registry is not installed";
    BERTH_NEED_CRICTL();
    ASSERT_EQ(regs->error, "");
  }
  static json mirrors_to(const std::string& host) {
    return {{"registry-mirrors", {{"docker.io", {"http://" + host}}, {"registry.k8s.io", {"http://" + host}}}}};
  }
  static json parse(const berth::test::CmdResult& r) {
    auto j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
    return j;
  }
  static SeededRegistries* regs;
};
SeededRegistries* CrictlImages::regs = nullptr;

}  // namespace

TEST_F(CrictlImages, VersionAndInfo) {
  // No CNI config in its conf dir: the network is not ready.
  berth::test::TempDir empty("berth-cri-netd");
  CriDaemon c(json{{"cni-conf-dir", empty.path()}});
  ASSERT_TRUE(c.ready()) << c.berthd().log();
  auto v = c.crictl({"version"});
  ASSERT_EQ(v.status, 0) << v.err;
  EXPECT_NE(v.out.find("RuntimeName:  berth\n"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("RuntimeApiVersion:  v1\n"), std::string::npos) << v.out;
  auto info = c.crictl({"info"});
  ASSERT_EQ(info.status, 0) << info.err;
  auto conds = parse(info)["status"]["conditions"];
  ASSERT_EQ(conds.size(), 2u) << info.out;
  EXPECT_EQ(conds[0]["type"], "RuntimeReady");
  EXPECT_EQ(conds[0]["status"], true);
  EXPECT_EQ(conds[1]["type"], "NetworkReady");
  EXPECT_EQ(conds[1]["status"], false);
  EXPECT_EQ(conds[1]["reason"], "NetworkPluginNotReady");
}

TEST_F(CrictlImages, PullThroughMirrorsSharedWithDocker) {
  CriDaemon c(mirrors_to(regs->open->host()));
  auto& d = c.berthd();
  ASSERT_TRUE(c.ready()) << d.log();
  // Neither registry.k8s.io nor docker.io can be reached here: only the mirror can serve these.
  auto pull = c.crictl({"pull", "registry.k8s.io/pause:3.9"});
  ASSERT_EQ(pull.status, 0) << pull.out << pull.err << d.log();
  EXPECT_TRUE(pull.out.starts_with("Image is up to date for sha256:")) << pull.out;
  std::string id = pull.out.substr(pull.out.find("sha256:"), 71);

  // inspecti: names, digest, size, and no user (busybox has no USER).
  auto st = parse(c.crictl({"inspecti", "registry.k8s.io/pause:3.9"}))["status"];
  EXPECT_EQ(st["id"], id);
  EXPECT_EQ(st["repoTags"], json::array({"registry.k8s.io/pause:3.9"}));
  ASSERT_EQ(st["repoDigests"].size(), 1u) << st;
  std::string digest = st["repoDigests"][0];
  EXPECT_TRUE(digest.starts_with("registry.k8s.io/pause@sha256:")) << digest;
  EXPECT_GT(std::stoll(st["size"].get<std::string>()), 100000) << st;  // a static busybox
  EXPECT_TRUE(st["uid"].is_null()) << st;
  EXPECT_EQ(st["username"], "") << st;
  auto quiet = c.crictl({"images", "-q", "registry.k8s.io/pause:3.9"});
  EXPECT_EQ(quiet.out, id + "\n") << quiet.err;
  auto digests = c.crictl({"images", "--digests", "registry.k8s.io/pause"});
  EXPECT_NE(digests.out.find(digest.substr(digest.find('@') + 8, 13)), std::string::npos) << digests.out;

  // The same image through the docker.io mirror, and one whose USER is 1000.
  ASSERT_EQ(c.crictl({"pull", "busybox"}).status, 0);
  auto user = c.crictl({"pull", "docker.io/library/withuser:1"});
  ASSERT_EQ(user.status, 0) << user.err;
  auto images = c.crictl({"images"});
  ASSERT_EQ(images.status, 0) << images.err;
  for (const char* name : {"registry.k8s.io/pause", "docker.io/library/busybox", "docker.io/library/withuser"})
    EXPECT_NE(images.out.find(name), std::string::npos) << images.out;
  auto inspected = parse(c.crictl({"inspecti", "docker.io/library/withuser:1"}));
  auto withuser = inspected["status"];
  EXPECT_EQ(withuser["uid"]["value"], "1000") << withuser;
  EXPECT_EQ(withuser["username"], "") << withuser;
  // crictl asks for the verbose status: the image config comes as "info".
  EXPECT_EQ(inspected["info"]["imageSpec"]["config"]["User"], "1000") << inspected["info"];

  // The Docker side sees what CRI pulled, and CRI sees what the Docker side tags.
  auto docker_images = d.docker({"images", "--format", "{{.Repository}}:{{.Tag}}"});
  EXPECT_NE(docker_images.out.find("registry.k8s.io/pause:3.9\n"), std::string::npos) << docker_images.out;
  EXPECT_NE(docker_images.out.find("busybox:latest\n"), std::string::npos) << docker_images.out;
  ASSERT_EQ(d.docker({"tag", "busybox", "shared/by-docker:1"}).status, 0);
  auto tagged = parse(c.crictl({"inspecti", "shared/by-docker:1"}))["status"];
  EXPECT_EQ(tagged["id"], id);
  EXPECT_NE(tagged["repoTags"].dump().find("\"docker.io/shared/by-docker:1\""), std::string::npos) << tagged;

  // rmi by one name takes the image with all its names, as the CRI asks; a second rmi finds
  // nothing (crictl's own message, after an ImageStatus with no image).
  auto rmi = c.crictl({"rmi", "registry.k8s.io/pause:3.9"});
  EXPECT_EQ(rmi.status, 0) << rmi.err;
  for (const char* name : {"registry.k8s.io/pause:3.9", "docker.io/library/busybox:latest", "docker.io/shared/by-docker:1"})
    EXPECT_NE(rmi.out.find(std::string("Deleted: ") + name), std::string::npos) << rmi.out;
  EXPECT_EQ(d.docker({"images", "-q", "busybox"}).out, "");
  EXPECT_EQ(d.docker({"images", "-q", "registry.k8s.io/pause:3.9"}).out, "");
  auto again = c.crictl({"rmi", "registry.k8s.io/pause:3.9"});
  EXPECT_EQ(again.status, 1);
  EXPECT_NE(again.err.find("no such image registry.k8s.io/pause:3.9"), std::string::npos) << again.err;

  auto fs = parse(c.crictl({"imagefsinfo"}))["status"];
  EXPECT_EQ(fs["fsId"]["mountpoint"], d.path("data")) << fs;
  EXPECT_GT(std::stoll(fs["usedBytes"]["value"].get<std::string>()), 100000) << fs;  // withuser is still there
  EXPECT_GT(std::stoll(fs["inodesUsed"]["value"].get<std::string>()), 10) << fs;
  auto by_id = c.crictl({"rmi", withuser["id"]});
  EXPECT_EQ(by_id.status, 0) << by_id.err;
  EXPECT_EQ(d.docker({"images", "-q"}).out, "");
}

TEST_F(CrictlImages, PullWithCredentialsThroughMirror) {
  CriDaemon c(mirrors_to(regs->with_auth->host()));
  ASSERT_TRUE(c.ready()) << c.berthd().log();
  // Without credentials the mirror refuses and docker.io cannot be reached: the error says both.
  auto anon = c.crictl({"pull", "busybox"});
  EXPECT_EQ(anon.status, 1);
  EXPECT_NE(anon.err.find("mirror http://" + regs->with_auth->host()), std::string::npos) << anon.err;
  EXPECT_NE(anon.err.find("authentication required"), std::string::npos) << anon.err;
  auto wrong = c.crictl({"pull", "--creds", "alice:wrong", "busybox"});
  EXPECT_EQ(wrong.status, 1);
  EXPECT_NE(wrong.err.find("credentials refused"), std::string::npos) << wrong.err;
  EXPECT_EQ(c.crictl({"images", "-q"}).out, "");

  auto creds = c.crictl({"pull", "--creds", "alice:secret", "busybox"});
  ASSERT_EQ(creds.status, 0) << creds.err;
  ASSERT_EQ(c.crictl({"rmi", "busybox"}).status, 0);
  auto auth = c.crictl({"pull", "--auth", "YWxpY2U6c2VjcmV0", "busybox"});  // base64 of alice:secret
  ASSERT_EQ(auth.status, 0) << auth.err;
  EXPECT_NE(c.crictl({"images", "-q"}).out, "");
}
