// The stock docker clients (28.x and Debian's 20.10) against a private berthd: version, info,
// load, images (+ --format, -q, --digests), tag, inspect, history, rmi, save | load, events.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/busybox_archive.hpp"
#include "api/berthd_fixture.hpp"

using namespace berth::api::test;
using berth::test::wait_until;

namespace {

using berth::test::nonempty_lines;

class DockerCli : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(berth::test::have_program(GetParam())) << GetParam() << " is not installed";
    ASSERT_FALSE(busybox_archive().empty()) << "could not build the busybox archive";
    ASSERT_TRUE(d.ready()) << d.log();
  }
  berth::test::CmdResult docker(std::vector<std::string> args) { return d.docker(std::move(args), GetParam()); }
  void load_busybox() {
    auto r = docker({"load", "-i", busybox_archive()});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("Loaded image: busybox:latest"), std::string::npos) << r.out;
  }
  std::string image_id(const std::string& name) {
    auto r = docker({"image", "inspect", "-f", "{{.Id}}", name});
    return r.status == 0 ? nonempty_lines(r.out).at(0) : "";
  }
  Berthd d;
};

}  // namespace

TEST_P(DockerCli, VersionAndInfo) {
  auto v = docker({"version"});
  ASSERT_EQ(v.status, 0) << v.err;
  EXPECT_NE(v.out.find("Server: berth"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("(minimum version 1.41)"), std::string::npos) << v.out;
  auto f = docker({"version", "--format", "{{.Server.APIVersion}}"});
  EXPECT_EQ(nonempty_lines(f.out).at(0), "1.50");
  // The 20.10 client negotiates down to its own maximum.
  auto c = docker({"version", "--format", "{{.Client.APIVersion}}"});
  EXPECT_EQ(nonempty_lines(c.out).at(0), GetParam() == kDocker20 ? "1.41" : "1.50");
  auto i = docker({"info"});
  ASSERT_EQ(i.status, 0) << i.err;
  for (const char* want : {"Containers: 0", "Images: 0", "Storage Driver: overlay2", "Cgroup Driver: cgroupfs",
                           "Default Runtime: berth", "Docker Root Dir: " , "Kernel Version: "})
    EXPECT_NE(i.out.find(want), std::string::npos) << want << "\n" << i.out;
  EXPECT_NE(i.out.find(d.path("data")), std::string::npos);
}

TEST_P(DockerCli, LoadListTagInspectHistoryRemove) {
  load_busybox();
  std::string id = image_id("busybox");
  ASSERT_TRUE(id.starts_with("sha256:")) << id;

  auto ls = docker({"images"});
  ASSERT_EQ(ls.status, 0) << ls.err;
  auto rows = nonempty_lines(ls.out);
  ASSERT_EQ(rows.size(), 2u) << ls.out;
  EXPECT_TRUE(rows[0].starts_with("REPOSITORY")) << rows[0];
  EXPECT_NE(rows[1].find("busybox"), std::string::npos);
  EXPECT_NE(rows[1].find(id.substr(7, 12)), std::string::npos);

  ASSERT_EQ(docker({"tag", "busybox", "example/bb:v1"}).status, 0);
  auto q = docker({"images", "-q"});
  EXPECT_EQ(nonempty_lines(q.out), (std::vector<std::string>{id.substr(7, 12), id.substr(7, 12)}));
  auto fmt = docker({"images", "--format", "{{.Repository}}:{{.Tag}}"});
  auto names = nonempty_lines(fmt.out);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"busybox:latest", "example/bb:v1"}));
  auto js = docker({"images", "--format", "{{json .}}", "example/bb"});
  ASSERT_EQ(nonempty_lines(js.out).size(), 1u) << js.out;
  auto row = nlohmann::json::parse(nonempty_lines(js.out)[0]);
  EXPECT_EQ(row["Tag"], "v1");
  auto dig = docker({"images", "--digests"});
  EXPECT_NE(nonempty_lines(dig.out).at(0).find("DIGEST"), std::string::npos);
  auto dangling = docker({"images", "-q", "--filter", "dangling=true"});
  EXPECT_EQ(dangling.out, "");
  auto byref = docker({"images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "reference=example/*"});
  EXPECT_EQ(byref.out, "example/bb:v1\n");
  auto bylabel = docker({"images", "-q", "--filter", "label=nope"});
  EXPECT_EQ(bylabel.out, "");

  auto inspect = docker({"inspect", "example/bb:v1"});
  ASSERT_EQ(inspect.status, 0) << inspect.err;
  auto doc = nlohmann::json::parse(inspect.out);
  ASSERT_EQ(doc.size(), 1u);
  EXPECT_EQ(doc[0]["Id"], id);
  EXPECT_EQ(doc[0]["RootFS"]["Type"], "layers");
  EXPECT_EQ(doc[0]["RootFS"]["Layers"].size(), 1u);
  EXPECT_EQ(doc[0]["Os"], "linux");
  EXPECT_GT(doc[0]["Size"].get<int64_t>(), 1000000);

  auto hist = docker({"history", "--no-trunc", "--format", "{{.ID}} {{.Comment}}", "busybox"});
  ASSERT_EQ(hist.status, 0) << hist.err;
  EXPECT_EQ(nonempty_lines(hist.out).at(0), id + " busybox for the API tests");

  // Untag while another tag remains; then the last tag deletes the image.
  auto rmi = docker({"rmi", "example/bb:v1"});
  ASSERT_EQ(rmi.status, 0) << rmi.err;
  EXPECT_EQ(nonempty_lines(rmi.out), std::vector<std::string>{"Untagged: example/bb:v1"});
  rmi = docker({"rmi", "busybox"});
  ASSERT_EQ(rmi.status, 0) << rmi.err;
  EXPECT_NE(rmi.out.find("Untagged: busybox:latest"), std::string::npos);
  EXPECT_NE(rmi.out.find("Deleted: " + id), std::string::npos) << rmi.out;
  EXPECT_EQ(docker({"images", "-q"}).out, "");
}

TEST_P(DockerCli, RemoveByIdWithTwoTagsNeedsForce) {
  load_busybox();
  std::string id = image_id("busybox");
  ASSERT_EQ(docker({"tag", "busybox", "other:1"}).status, 0);
  auto r = docker({"rmi", id.substr(7, 12)});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("conflict: unable to delete " + id.substr(7, 12) +
                       " (must be forced) - image is referenced in multiple repositories"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(nonempty_lines(docker({"images", "-q"}).out).size(), 2u);  // nothing changed
  r = docker({"rmi", "-f", id.substr(7, 12)});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(docker({"images", "-q"}).out, "");
}

TEST_P(DockerCli, SaveLoadRoundTrip) {
  load_busybox();
  std::string id = image_id("busybox");
  ASSERT_EQ(docker({"tag", "busybox", "keep:2"}).status, 0);
  std::string out = d.path("saved.tar");
  auto s = docker({"save", "-o", out, "busybox", "keep:2"});
  ASSERT_EQ(s.status, 0) << s.err;
  ASSERT_EQ(docker({"rmi", "busybox", "keep:2"}).status, 0);
  EXPECT_EQ(docker({"images", "-q"}).out, "");
  auto l = docker({"load", "-i", out});
  ASSERT_EQ(l.status, 0) << l.err;
  EXPECT_NE(l.out.find("Loaded image: keep:2"), std::string::npos) << l.out;
  EXPECT_EQ(image_id("busybox"), id);
  EXPECT_EQ(image_id("keep:2"), id);
}

TEST_P(DockerCli, ImportFromStdin) {
  std::string tar = d.path("rootfs.tar");
  berth::test::TempDir root("berth-api-rootfs");
  berth::test::make_busybox_rootfs(root / "rootfs");
  ASSERT_EQ(berth::test::run({"tar", "-C", root / "rootfs", "-cf", tar, "."}).status, 0);
  auto r = berth::test::sh(GetParam() + " --config " + d.path("docker-config") + " -H " + d.host() +
                           " import - imported:1 < " + tar);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("sha256:")) << r.out;
  EXPECT_EQ(image_id("imported:1"), nonempty_lines(r.out).at(0));
}

TEST_P(DockerCli, EventsSeeTagAndDelete) {
  load_busybox();
  // A live stream; --since makes it replay from before the changes, so it cannot miss them
  // however late its subscription lands.
  std::string since = std::to_string(time(nullptr) - 1);
  std::string events_out = d.path("events.out");
  auto bg = berth::test::sh(GetParam() + " --config " + d.path("docker-config") + " -H " + d.host() +
                            " events --since " + since +
                            " --filter type=image --format '{{.Action}} {{.Actor.Attributes.name}}' > " +
                            events_out + " 2>&1 & echo $!");
  pid_t events_pid = std::stoi(bg.out);
  ASSERT_EQ(docker({"tag", "busybox", "evt:1"}).status, 0);
  ASSERT_EQ(docker({"rmi", "evt:1"}).status, 0);
  ASSERT_EQ(docker({"rmi", "busybox"}).status, 0);  // the last tag: the image is deleted
  bool seen = wait_until(
      [&] {
        auto t = berth::test::read_text(events_out);
        return t.find("tag evt:1") != std::string::npos && t.find("untag evt:1") != std::string::npos &&
               t.find("untag busybox:latest\ndelete ") != std::string::npos;
      },
      std::chrono::seconds(10));
  kill(events_pid, SIGTERM);
  EXPECT_TRUE(seen) << berth::test::read_text(events_out);
  // ...and the same from the history, bounded by --until.
  auto past = docker({"events", "--since", since, "--until", std::to_string(time(nullptr) + 1), "--filter",
                      "event=tag", "--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}"});
  ASSERT_EQ(past.status, 0) << past.err;
  EXPECT_EQ(nonempty_lines(past.out), std::vector<std::string>{"image tag evt:1"});
}

INSTANTIATE_TEST_SUITE_P(Clients, DockerCli, ::testing::Values(kDocker28, kDocker20),
                         [](const auto& info) { return info.param == kDocker28 ? "docker28" : "docker20"; });

TEST_P(DockerCli, SystemDf) {
  load_busybox();
  ASSERT_EQ(docker({"tag", "busybox", "again:1"}).status, 0);
  auto df = docker({"system", "df", "--format", "{{.Type}} {{.TotalCount}} {{.Active}}"});
  ASSERT_EQ(df.status, 0) << df.err;
  EXPECT_EQ(nonempty_lines(df.out).at(0), "Images 1 0") << df.out;
  auto v = docker({"system", "df", "-v", "--format", "{{range .Images}}{{.Repository}} {{end}}"});
  ASSERT_EQ(v.status, 0) << v.err;
}
