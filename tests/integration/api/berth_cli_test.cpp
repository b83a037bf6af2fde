// The berth CLI against a private berthd: the image verbs with docker's output shapes, a push
// and pull through the test registry, and docker's error text and exit codes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "api/berthd_fixture.hpp"
#include "api/busybox_archive.hpp"
#include "image/registry_fixture.hpp"

using namespace berth::api::test;
using berth::test::run;

namespace {

// Lines sorted (after the header row when there is one).
std::vector<std::string> sorted_lines(const std::string& s, bool header) {
  std::vector<std::string> v;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) v.push_back(l);
  std::sort(v.begin() + (header && !v.empty() ? 1 : 0), v.end());
  return v;
}

class BerthCli : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(busybox_archive().empty());
    ASSERT_TRUE(d.ready()) << d.log();
  }
  // Through BERTH_HOST, as a user would point it.
  berth::test::CmdResult berth(std::vector<std::string> args, const std::string& host_env = "BERTH_HOST") {
    args.insert(args.begin(), {"env", host_env + "=" + d.host(), berth::test::bin("berth")});
    return run(args, "", std::chrono::seconds(120));
  }
  Berthd d;
};

}  // namespace

TEST_F(BerthCli, ImageVerbs) {
  auto v = berth({"version", "--format", "{{.Server.ApiVersion}}"});
  ASSERT_EQ(v.status, 0) << v.err;
  EXPECT_EQ(v.out, "1.50\n");
  auto load = berth({"load", "-i", busybox_archive()});
  ASSERT_EQ(load.status, 0) << load.err;
  EXPECT_EQ(load.out, "Loaded image: busybox:latest\n");
  ASSERT_EQ(berth({"tag", "busybox", "127.0.0.1:5999/x/bb:v1"}).status, 0);
  auto ls = berth({"images"});
  ASSERT_EQ(ls.status, 0) << ls.err;
  EXPECT_TRUE(ls.out.starts_with("REPOSITORY")) << ls.out;
  EXPECT_NE(ls.out.find("TAG       IMAGE ID       CREATED"), std::string::npos) << ls.out;
  // Column alignment exactly as docker's tabwriter lays it out. Row order is not compared: the
  // docker client walks an image's repositories through a Go map, in random order.
  std::string table = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Size}}";
  EXPECT_EQ(sorted_lines(berth({"images", "--format", table}).out, true),
            sorted_lines(d.docker({"images", "--format", table}).out, true));
  EXPECT_NE(ls.out.find("127.0.0.1:5999/x/bb   v1"), std::string::npos) << ls.out;
  auto fmt = berth({"image", "ls", "--format", "{{.Repository}}:{{.Tag}}", "busybox"});
  EXPECT_EQ(fmt.out, "busybox:latest\n");
  auto js = berth({"images", "--format", "{{json .}}", "busybox"});
  auto row = nlohmann::json::parse(js.out);
  EXPECT_EQ(row["Tag"], "latest");
  EXPECT_EQ(row["ID"].get<std::string>().size(), 12u);
  // The same rows as the docker client prints.
  auto ours = berth({"images", "--format", "{{.ID}} {{.Repository}} {{.Tag}} {{.Size}}"});
  auto theirs = d.docker({"images", "--format", "{{.ID}} {{.Repository}} {{.Tag}} {{.Size}}"});
  EXPECT_EQ(sorted_lines(ours.out, false), sorted_lines(theirs.out, false));
  EXPECT_EQ(berth({"images", "-q"}).out, d.docker({"images", "-q"}).out);

  auto hist = berth({"history", "-q", "busybox"});
  EXPECT_EQ(hist.out.size(), 13u) << hist.out;
  auto insp = berth({"inspect", "busybox"});
  ASSERT_EQ(insp.status, 0) << insp.err;
  EXPECT_EQ(nlohmann::json::parse(insp.out)[0]["Id"], nlohmann::json::parse(d.docker({"inspect", "busybox"}).out)[0]["Id"]);

  std::string saved = d.path("b.tar");
  ASSERT_EQ(berth({"save", "-o", saved, "busybox"}).status, 0);
  auto rmi = berth({"rmi", "busybox", "127.0.0.1:5999/x/bb:v1"});
  ASSERT_EQ(rmi.status, 0) << rmi.err;
  EXPECT_NE(rmi.out.find("Deleted: sha256:"), std::string::npos);
  EXPECT_EQ(berth({"images", "-q"}).out, "");
  ASSERT_EQ(berth({"load", "-q", "-i", saved}).status, 0);
  EXPECT_EQ(berth({"images", "-q"}).out.size(), 13u);

  auto ev = berth({"events", "--since", "0", "--until", std::to_string(time(nullptr) + 1), "--filter", "event=untag",
                   "--format", "{{.Action}} {{.Actor.Attributes.name}}"});
  EXPECT_EQ(ev.out, "untag busybox:latest\nuntag 127.0.0.1:5999/x/bb:v1\n") << ev.err;
}

TEST_F(BerthCli, ImportAndPrune) {
  berth::test::TempDir root("berth-cli-rootfs");
  berth::test::make_busybox_rootfs(root / "rootfs");
  ASSERT_EQ(run({"tar", "-C", root / "rootfs", "-cf", root / "r.tar", "."}).status, 0);
  auto imp = berth({"import", root / "r.tar", "imp:1"});
  ASSERT_EQ(imp.status, 0) << imp.err;
  EXPECT_TRUE(imp.out.starts_with("sha256:")) << imp.out;
  auto untagged = berth({"import", "-m", "no tag", root / "r.tar"});
  ASSERT_EQ(untagged.status, 0) << untagged.err;
  EXPECT_EQ(berth({"images", "-q", "--filter", "dangling=true"}).out.size(), 13u);
  // Both imports unpacked the same layer: with shared-size, all of each image is shared.
  auto list = nlohmann::json::parse(raw_request(d.socket_path(), "GET", "/v1.50/images/json?shared-size=1").body);
  ASSERT_EQ(list.size(), 2u);
  for (auto& img : list) EXPECT_EQ(img["SharedSize"], img["Size"]) << img;
  EXPECT_EQ(nlohmann::json::parse(raw_request(d.socket_path(), "GET", "/v1.50/images/json").body)[0]["SharedSize"], -1);
  auto prune = berth({"image", "prune", "-f"});
  ASSERT_EQ(prune.status, 0) << prune.err;
  EXPECT_NE(prune.out.find("Total reclaimed space:"), std::string::npos);
  EXPECT_EQ(berth({"images", "-q", "--filter", "dangling=true"}).out, "");
  EXPECT_EQ(berth({"images", "--format", "{{.Repository}}:{{.Tag}}"}).out, "imp:1\n");
}

TEST_F(BerthCli, PushAndPullThroughRegistry) {
  berth::test::TempDir dir("berth-cli-registry");
  berth::image::test::Registry reg(dir / "registry");
  ASSERT_TRUE(reg.ready()) << reg.log();
  ASSERT_EQ(berth({"load", "-i", busybox_archive()}).status, 0);
  std::string ref = reg.host() + "/cli/busybox:1";
  ASSERT_EQ(berth({"tag", "busybox", ref}).status, 0);
  auto push = berth({"push", ref});
  ASSERT_EQ(push.status, 0) << push.out << push.err;
  EXPECT_NE(push.out.find("1: digest: sha256:"), std::string::npos) << push.out;
  ASSERT_EQ(berth({"rmi", "busybox", ref}).status, 0);
  auto pull = berth({"pull", ref}, "DOCKER_HOST");  // DOCKER_HOST serves when BERTH_HOST is unset
  ASSERT_EQ(pull.status, 0) << pull.out << pull.err;
  EXPECT_NE(pull.out.find("Pull complete"), std::string::npos) << pull.out;
  EXPECT_NE(pull.out.find("Status: Downloaded newer image for " + ref), std::string::npos) << pull.out;
  EXPECT_TRUE(pull.out.ends_with(ref + "\n")) << pull.out;
  // On a terminal each layer's line is redrawn in place (cursor movement), not repeated.
  ASSERT_EQ(berth({"rmi", ref}).status, 0);
  auto tty = run({"script", "-qec",
                  "env BERTH_HOST=" + d.host() + " " + berth::test::bin("berth") + " pull " + ref, "/dev/null"},
                 "", std::chrono::seconds(120));
  ASSERT_EQ(tty.status, 0) << tty.out << tty.err;
  EXPECT_NE(tty.out.find("\033["), std::string::npos) << tty.out;
  EXPECT_NE(tty.out.find("Pull complete"), std::string::npos) << tty.out;
  auto missing = berth({"pull", reg.host() + "/cli/busybox:nope"});
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("Error response from daemon:"), std::string::npos) << missing.err;
}

TEST_F(BerthCli, ErrorsAndExitCodes) {
  auto rmi = berth({"rmi", "nope"});
  EXPECT_EQ(rmi.status, 1);
  EXPECT_EQ(rmi.err, "Error response from daemon: No such image: nope:latest\n");
  auto insp = berth({"inspect", "nope"});
  EXPECT_EQ(insp.status, 1);
  EXPECT_NE(insp.err.find("Error: No such object: nope"), std::string::npos);
  // A missing argument is exit 1 for docker (a bad flag is 125).
  auto usage = berth({"tag", "only-one"});
  EXPECT_EQ(usage.status, 1);
  EXPECT_TRUE(usage.err.starts_with("berth: 'berth tag' requires 2 arguments\n")) << usage.err;
  auto down = run({berth::test::bin("berth"), "-H", "unix://" + d.path("none.sock"), "images"});
  EXPECT_EQ(down.status, 1);
  EXPECT_NE(down.err.find("Cannot connect to the berth daemon at unix://" + d.path("none.sock")), std::string::npos)
      << down.err;
  auto bad_tag = berth({"tag", "nope", "x:1"});
  EXPECT_EQ(bad_tag.status, 1);
  EXPECT_EQ(bad_tag.err, "Error response from daemon: No such image: nope:latest\n");
}
