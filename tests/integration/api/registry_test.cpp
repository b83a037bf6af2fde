// Push and pull through berthd against Debian's docker-registry on 127.0.0.1, with the docker
// client's progress stream, and the python3-docker library pulling.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/berthd_fixture.hpp"
#include "api/busybox_archive.hpp"
#include "image/registry_fixture.hpp"

using namespace berth::api::test;

namespace {

class ApiRegistry : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(busybox_archive().empty());
    ASSERT_TRUE(d.ready()) << d.log();
    ASSERT_TRUE(reg.ready()) << reg.log();
    auto r = d.docker({"load", "-i", busybox_archive()});
    ASSERT_EQ(r.status, 0) << r.err;
    ref = reg.host() + "/test/busybox:1";
    ASSERT_EQ(d.docker({"tag", "busybox", ref}).status, 0);
    auto p = d.docker({"push", ref});
    ASSERT_EQ(p.status, 0) << p.out << p.err;
    push_out = p.out;
    id = d.docker({"image", "inspect", "-f", "{{.Id}}", "busybox"}).out;
    id = id.substr(0, id.find('\n'));
  }
  berth::test::TempDir dir{"berth-api-registry"};
  berth::image::test::Registry reg{dir / "registry"};
  Berthd d;
  std::string ref, push_out, id;
};

}  // namespace

TEST_F(ApiRegistry, PushThenPullWithBothClients) {
  EXPECT_NE(push_out.find("The push refers to repository [" + reg.host() + "/test/busybox]"), std::string::npos)
      << push_out;
  EXPECT_NE(push_out.find("1: digest: sha256:"), std::string::npos) << push_out;
  EXPECT_EQ(push_out.find(id.substr(7, 12) + ": Pushed"), std::string::npos) << push_out;  // no config blob line
  for (const std::string& client : {kDocker28, kDocker20}) {
    ASSERT_EQ(d.docker({"rmi", "busybox", ref}, client).status, 0);
    ASSERT_EQ(d.docker({"images", "-q"}, client).out, "");
    auto pull = d.docker({"pull", ref}, client);
    ASSERT_EQ(pull.status, 0) << client << "\n" << pull.out << pull.err;
    EXPECT_NE(pull.out.find("1: Pulling from test/busybox"), std::string::npos) << pull.out;
    EXPECT_NE(pull.out.find("Pull complete"), std::string::npos) << pull.out;
    EXPECT_NE(pull.out.find("Digest: sha256:"), std::string::npos) << pull.out;
    EXPECT_NE(pull.out.find("Status: Downloaded newer image for " + ref), std::string::npos) << pull.out;
    auto again = d.docker({"pull", ref}, client);
    EXPECT_NE(again.out.find("Status: Image is up to date for " + ref), std::string::npos) << again.out;
    EXPECT_EQ(d.docker({"image", "inspect", "-f", "{{.Id}}", ref}, client).out, id + "\n");
    auto digests = d.docker({"images", "--digests", "--format", "{{.Digest}}", reg.host() + "/test/busybox"}, client);
    EXPECT_TRUE(digests.out.starts_with("sha256:")) << digests.out;
    ASSERT_EQ(d.docker({"tag", ref, "busybox"}, client).status, 0);  // as SetUp left it
  }
}

TEST_F(ApiRegistry, PullOfMissingTagIsAnError) {
  auto r = d.docker({"pull", reg.host() + "/test/busybox:nope"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("Error response from daemon"), std::string::npos) << r.err;
  EXPECT_EQ(d.docker({"images", "-q", reg.host() + "/test/busybox:nope"}).out, "");
}

TEST_F(ApiRegistry, PythonDockerPulls) {
  ASSERT_EQ(d.docker({"rmi", "busybox", ref}).status, 0);
  std::string script =
      "import docker, sys\n"
      "c = docker.DockerClient(base_url='" + d.host() + "', version='auto')\n"
      "img = c.images.pull('" + reg.host() + "/test/busybox', tag='1')\n"
      "print(img.id)\n"
      "print(c.version()['ApiVersion'])\n"
      "print(len(c.images.list()))\n"
      "img.tag('py/tagged', tag='2')\n"
      "print(sorted(c.images.get('py/tagged:2').tags))\n"
      "c.images.remove('py/tagged:2')\n"
      "try:\n"
      "    c.images.get('py/tagged:2')\n"
      "except docker.errors.ImageNotFound as e:\n"
      "    print('gone')\n";
  berth::test::write_text(d.path("pull.py"), script);
  auto r = berth::test::run({"/usr/bin/python3", d.path("pull.py")}, "", std::chrono::seconds(120));
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  auto nl = r.out.find('\n');
  EXPECT_EQ(r.out.substr(0, nl), id);
  EXPECT_NE(r.out.find("1.50\n1\n['" + ref + "', 'py/tagged:2']\ngone\n"), std::string::npos) << r.out;
}

TEST(ApiRegistryAuth, LoginThenAuthenticatedPushAndPull) {
  ASSERT_FALSE(busybox_archive().empty());
  berth::test::TempDir dir("berth-api-auth");
  auto pw = berth::test::run({"htpasswd", "-Bbn", "alice", "secret"});
  ASSERT_EQ(pw.status, 0) << pw.err;
  berth::test::write_text(dir / "htpasswd", pw.out);
  berth::image::test::Registry reg(dir / "registry",
                                   "  htpasswd:\n    realm: basic-realm\n    path: " + (dir / "htpasswd") + "\n");
  ASSERT_TRUE(reg.ready()) << reg.log();
  Berthd d;
  ASSERT_TRUE(d.ready()) << d.log();
  ASSERT_EQ(d.docker({"load", "-i", busybox_archive()}).status, 0);
  std::string ref = reg.host() + "/private/busybox:1";
  ASSERT_EQ(d.docker({"tag", "busybox", ref}).status, 0);

  // Without credentials the registry refuses, and the daemon says so.
  auto anon = d.docker({"push", ref});
  EXPECT_EQ(anon.status, 1);
  EXPECT_NE(anon.err.find("authentication required"), std::string::npos) << anon.err;

  auto wrong = d.docker({"login", "-u", "alice", "--password-stdin", reg.host()}, kDocker28, "wrong\n");
  EXPECT_EQ(wrong.status, 1);
  EXPECT_NE(wrong.err.find("Error response from daemon"), std::string::npos) << wrong.err;
  auto login = d.docker({"login", "-u", "alice", "--password-stdin", reg.host()}, kDocker28, "secret\n");
  ASSERT_EQ(login.status, 0) << login.err;
  EXPECT_NE(login.out.find("Login Succeeded"), std::string::npos);

  // The client now sends X-Registry-Auth; push and pull go through.
  auto push = d.docker({"push", ref});
  ASSERT_EQ(push.status, 0) << push.out << push.err;
  ASSERT_EQ(d.docker({"rmi", ref}).status, 0);
  auto pull = d.docker({"pull", ref});
  ASSERT_EQ(pull.status, 0) << pull.out << pull.err;
  EXPECT_NE(pull.out.find("Status: Downloaded newer image for " + ref), std::string::npos) << pull.out;
}

TEST_F(ApiRegistry, PushAllTags) {
  std::string repo = reg.host() + "/test/busybox";
  ASSERT_EQ(d.docker({"tag", "busybox", repo + ":2"}).status, 0);
  ASSERT_EQ(d.docker({"tag", "busybox", repo + ":3"}).status, 0);
  auto push = d.docker({"push", "--all-tags", repo});
  ASSERT_EQ(push.status, 0) << push.out << push.err;
  for (const char* t : {"1: digest:", "2: digest:", "3: digest:"}) EXPECT_NE(push.out.find(t), std::string::npos) << push.out;
  ASSERT_EQ(d.docker({"rmi", repo + ":3"}).status, 0);
  auto pull = d.docker({"pull", repo + ":3"});
  EXPECT_EQ(pull.status, 0) << pull.out << pull.err;
}
