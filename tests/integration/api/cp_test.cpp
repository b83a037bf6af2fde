// docker cp, diff, commit and export with the stock clients (28.x and 20.10) against berthd,
// errors compared with a private dockerd; and the attacks on cp: a symlink in the container
// that points at a host path, ".." and absolute entries in an uploaded archive, and the
// symlink-exchange race of CVE-2018-15664, none of which may touch the host.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "../../unit/image/tar_builder.hpp"
#include "api/berthd_fixture.hpp"
#include "api/busybox_archive.hpp"
#include "api/dockerd_fixture.hpp"

using namespace berth::api::test;
using berth::test::CmdResult;
namespace fs = std::filesystem;

namespace {

using berth::test::nonempty_lines;

std::string sh_out(const std::string& script) { return berth::test::sh(script).out; }

class Cp : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    berthd_ = std::make_unique<Berthd>();
    if (berthd_->ready() && !busybox_archive().empty())
      loaded_ = berthd_->docker({"load", "-i", busybox_archive()}).status == 0;
  }
  static void TearDownTestSuite() {
    dockerd_.reset();
    berthd_.reset();
  }
  void SetUp() override {
    ASSERT_TRUE(berth::test::have_program(GetParam())) << GetParam() << " is not installed";
    ASSERT_TRUE(berthd_->ready()) << berthd_->log();
    ASSERT_TRUE(loaded_) << "busybox did not load";
  }
  void TearDown() override {
    for (auto& n : made_) berthd_->docker({"rm", "-f", n});
    for (auto& i : images_) berthd_->docker({"rmi", "-f", i});
    if (dockerd_)
      for (auto& n : made_) dockerd_->docker({"rm", "-f", n});
  }
  CmdResult docker(std::vector<std::string> args, const std::string& input = "") {
    return berthd_->docker(std::move(args), GetParam(), input);
  }
  std::string name(const std::string& base) {
    std::string n = base + (GetParam() == kDocker20 ? "-20" : "-28");
    made_.push_back(n);
    return n;
  }
  // Runs cmd in a new container named n and waits for it to exit.
  void run_in(const std::string& n, const std::string& cmd) {
    auto r = docker({"run", "--name", n, "busybox", "sh", "-c", cmd});
    ASSERT_EQ(r.status, 0) << r.err;
  }
  // A container's output, by starting it (it was created with the command) and reading its logs.
  std::string start_and_log(const std::string& n) {
    auto s = docker({"start", "-a", n});
    EXPECT_EQ(s.status, 0) << s.err;
    return s.out;
  }
  static Dockerd& dockerd() {
    if (!dockerd_) {
      dockerd_ = std::make_unique<Dockerd>();
      if (dockerd_->ready()) dockerd_->docker({"load", "-i", busybox_archive()});
    }
    return *dockerd_;
  }

  static inline std::unique_ptr<Berthd> berthd_;
  static inline std::unique_ptr<Dockerd> dockerd_;
  static inline bool loaded_ = false;
  std::vector<std::string> made_, images_;
  berth::test::TempDir tmp_{"berth-cp"};
};

}  // namespace

TEST_P(Cp, TreeBothWaysKeepsModesAndOwners) {
  std::string src = tmp_ / "tree";
  fs::create_directories(src + "/sub/deeper");
  berth::test::write_text(src + "/a.txt", "alpha");
  berth::test::write_text(src + "/sub/b.bin", std::string(70000, 'b'));
  berth::test::write_text(src + "/sub/deeper/c", "gamma");
  fs::create_symlink("a.txt", src + "/link");
  chmod((src + "/a.txt").c_str(), 0640);
  chmod((src + "/sub/deeper").c_str(), 0711);
  chown((src + "/sub/b.bin").c_str(), 1234, 5678);
  std::string c = name("cp-tree");
  ASSERT_EQ(docker({"create", "--name", c, "busybox", "sh", "-c", "cd /tmp && find tree | sort | xargs stat -c '%a %u %g %n'"}).status, 0);
  // Into a created (never started) container, with -a.
  auto in = docker({"cp", "-a", src, c + ":/tmp/"});
  ASSERT_EQ(in.status, 0) << in.err;
  auto listing = start_and_log(c);
  for (auto want : {"640 0 0 tree/a.txt", "644 1234 5678 tree/sub/b.bin", "711 0 0 tree/sub/deeper", "777 0 0 tree/link"})
    EXPECT_NE(listing.find(want), std::string::npos) << want << " in\n" << listing;
  // Out of the exited container, to a new name, with -a.
  std::string back = tmp_ / "back";
  auto out = docker({"cp", "-a", c + ":/tmp/tree", back});
  ASSERT_EQ(out.status, 0) << out.err;
  EXPECT_EQ(berth::test::read_text(back + "/sub/deeper/c"), "gamma");
  EXPECT_EQ(berth::test::read_text(back + "/sub/b.bin"), std::string(70000, 'b'));
  struct stat st;
  ASSERT_EQ(stat((back + "/a.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  // (The docker client never chowns on the host side: ownership was checked inside above.)
  ASSERT_EQ(stat((back + "/sub/deeper").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0711u);
  EXPECT_EQ(fs::read_symlink(back + "/link"), "a.txt");
  // A single file into an existing directory, and to a new name, in the stopped container.
  auto f1 = docker({"cp", src + "/a.txt", c + ":/etc"});
  ASSERT_EQ(f1.status, 0) << f1.err;
  auto f2 = docker({"cp", src + "/a.txt", c + ":/etc/renamed"});
  ASSERT_EQ(f2.status, 0) << f2.err;
  auto tar = docker({"cp", c + ":/etc/renamed", "-"});
  ASSERT_EQ(tar.status, 0) << tar.err;
  EXPECT_NE(tar.out.find("renamed"), std::string::npos);
  EXPECT_NE(tar.out.find("alpha"), std::string::npos);
  auto d = docker({"diff", c});
  EXPECT_NE(d.out.find("A /etc/a.txt"), std::string::npos) << d.out;
  EXPECT_NE(d.out.find("A /etc/renamed"), std::string::npos) << d.out;
}

TEST_P(Cp, FollowLinkAndRunningContainer) {
  std::string c = name("cp-follow");
  ASSERT_EQ(docker({"run", "-d", "--name", c, "busybox", "sh", "-c",
                    "echo target > /t; ln -s /t /l; sleep 100"}).status, 0);
  ASSERT_TRUE(berth::test::wait_until([&] { return docker({"cp", c + ":/l", "-"}).status == 0; },
                                      std::chrono::seconds(10)));
  std::string plain = tmp_ / "plain", followed = tmp_ / "followed";
  ASSERT_EQ(docker({"cp", c + ":/l", plain}).status, 0);
  EXPECT_TRUE(fs::is_symlink(plain));
  auto f = docker({"cp", "-L", c + ":/l", followed});
  ASSERT_EQ(f.status, 0) << f.err;
  EXPECT_FALSE(fs::is_symlink(followed));
  EXPECT_EQ(berth::test::read_text(followed), "target\n");
}

TEST_P(Cp, ErrorsAsDockerd) {
  auto& dd = dockerd();
  ASSERT_TRUE(dd.ready()) << dd.log();
  std::string c = name("cp-errors");
  ASSERT_EQ(docker({"create", "--name", c, "busybox", "true"}).status, 0);
  ASSERT_EQ(dd.docker({"create", "--name", c, "busybox", "true"}, GetParam()).status, 0);
  std::string file = tmp_ / "f";
  berth::test::write_text(file, "x");
  for (auto& args : std::vector<std::vector<std::string>>{
           {"cp", file, c + ":/nonexist/x"},        // the parent is missing
           {"cp", file, c + ":/nonexist/x/"},       // asserted to be a directory
           {"cp", c + ":/nonexist", "-"},           // no such source
           {"cp", c + ":/nonexist/a/b", tmp_ / "o"},
           {"cp", "-L", c + ":/nonexist", "-"},
       }) {
    auto b = docker(args);
    auto d = dd.docker(args, GetParam());
    std::string cmd;
    for (auto& a : args) cmd += a + " ";
    EXPECT_EQ(b.status, d.status) << cmd << "\nberth: " << b.err << "\ndockerd: " << d.err;
    // The client's own tar goroutine may log a closed pipe first (on either daemon): not compared.
    auto messages = [](const std::string& err) {
      std::string out;
      for (auto& l : nonempty_lines(err))
        if (!l.starts_with("time=")) out += l + "\n";
      return out;
    };
    EXPECT_EQ(messages(b.err), messages(d.err)) << cmd;
  }
}

TEST_P(Cp, SymlinkToHostPathNeverLeavesTheContainer) {
  std::string marker = tmp_ / "host-target";  // what the container's links name, on the host
  fs::create_directories(marker);
  berth::test::write_text(marker + "/passwd", "HOST FILE");
  std::string c = name("cp-escape");
  run_in(c, "ln -s /etc /escape; ln -s " + marker + " /hostdir; ln -s ../../../../../.. /a; mkdir -p " + marker +
                "; echo container > " + marker + "/passwd");
  // Reading through the link: the container's /etc/passwd, never the host's.
  auto r = docker({"cp", c + ":/escape/passwd", "-"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("root:x:0:0"), std::string::npos);
  EXPECT_EQ(r.out.find(berth::test::read_text("/etc/passwd").substr(0, 40)), std::string::npos);
  auto h = docker({"cp", c + ":/hostdir/passwd", "-"});
  ASSERT_EQ(h.status, 0) << h.err;
  EXPECT_NE(h.out.find("container"), std::string::npos);
  EXPECT_EQ(h.out.find("HOST FILE"), std::string::npos);
  auto up = docker({"cp", c + ":/a/etc/passwd", "-"});
  EXPECT_EQ(up.out.find(berth::test::read_text("/etc/passwd").substr(0, 40)), std::string::npos);
  // Writing through it: lands in the container's directory, the host's stays as it was.
  std::string file = tmp_ / "dropped";
  berth::test::write_text(file, "dropped");
  auto w = docker({"cp", file, c + ":/hostdir/x"});
  ASSERT_EQ(w.status, 0) << w.err;
  EXPECT_FALSE(fs::exists(marker + "/x"));
  EXPECT_EQ(berth::test::read_text(marker + "/passwd"), "HOST FILE");
  auto w2 = docker({"cp", file, c + ":/escape/berth-cp-escape-test"});
  EXPECT_FALSE(fs::exists("/etc/berth-cp-escape-test"));
  auto back = docker({"cp", c + ":" + marker + "/x", "-"});
  EXPECT_NE(back.out.find("dropped"), std::string::npos);
}

TEST_P(Cp, HostileArchiveIsRefusedWithNothingWritten) {
  std::string c = name("cp-hostile");
  ASSERT_EQ(docker({"create", "--name", c, "busybox", "true"}).status, 0);
  using berth::image::test::TarBuilder;
  std::string marker = tmp_ / "pwned";
  for (auto& tar : {TarBuilder().file("ok1", "fine").file("../../../../../.." + marker, "pwned").finish(),
                    TarBuilder().file("ok2", "fine").file(marker, "pwned").finish(),
                    TarBuilder().file("ok3", "fine").symlink("l", "/").file("l" + marker, "pwned").finish(),
                    TarBuilder().file("ok4", "fine").hardlink("h", "../../../etc/passwd").finish()}) {
    auto r = raw_request(berthd_->socket_path(), "PUT", "/v1.45/containers/" + c + "/archive?path=/tmp", tar,
                         "application/x-tar");
    EXPECT_EQ(r.status, 400) << r.body;
  }
  EXPECT_FALSE(fs::exists(marker));
  auto d = docker({"diff", c});
  EXPECT_EQ(d.out, "") << "something was written: " << d.out;
}

// CVE-2018-15664: while docker cp runs, the container swaps a directory and a symlink to a host
// path back and forth (renameat2 RENAME_EXCHANGE). No copy may read or write the host's side.
TEST_P(Cp, SymlinkExchangeRaceNeverReachesTheHost) {
  std::string helper = berth::test::bin("berth-test-rename-exchange");
  ASSERT_TRUE(fs::exists(helper)) << helper;
  std::string host = tmp_ / "race-host";
  fs::create_directories(host);
  berth::test::write_text(host + "/secret", "HOST SECRET");
  std::string c = name("cp-race");
  ASSERT_EQ(docker({"create", "--name", c, "busybox", "/rename-exchange", "/w/dir", "/w/link"}).status, 0);
  std::string stage = tmp_ / "stage";
  fs::create_directories(stage + "/w/dir");
  berth::test::write_text(stage + "/w/dir/secret", "container secret");
  fs::create_symlink(host, stage + "/w/link");
  fs::copy_file(helper, stage + "/rename-exchange");
  ASSERT_EQ(docker({"cp", stage + "/w", c + ":/"}).status, 0);
  ASSERT_EQ(docker({"cp", stage + "/rename-exchange", c + ":/"}).status, 0);
  ASSERT_EQ(docker({"start", c}).status, 0);
  std::string file = tmp_ / "payload";
  berth::test::write_text(file, "payload");
  int reads = 0, writes = 0;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(4);
  while (std::chrono::steady_clock::now() < until) {
    auto r = docker({"cp", c + ":/w/dir/secret", "-"});
    if (r.status == 0) ++reads;
    EXPECT_EQ(r.out.find("HOST SECRET"), std::string::npos) << "read the host's file through the race";
    if (docker({"cp", file, c + ":/w/dir/payload"}).status == 0) ++writes;
    ASSERT_FALSE(fs::exists(host + "/payload")) << "wrote into the host directory through the race";
  }
  auto running = docker({"inspect", "-f", "{{.State.Running}}", c});
  EXPECT_EQ(nonempty_lines(running.out).at(0), "true") << "the swapping loop stopped: the race did not run";
  EXPECT_GT(reads + writes, 0);
  EXPECT_EQ(berth::test::read_text(host + "/secret"), "HOST SECRET");
  EXPECT_EQ(std::distance(fs::directory_iterator(host), {}), 1);
}

TEST_P(Cp, DiffListsWritesAndDeletes) {
  std::string c = name("diff");
  run_in(c, "mkdir -p /a/b; echo x > /a/b/c; rm /etc/group; echo more >> /etc/passwd; rm -rf /root");
  auto d = docker({"diff", c});
  ASSERT_EQ(d.status, 0) << d.err;
  auto l = nonempty_lines(d.out);
  for (auto& want : {"A /a", "A /a/b", "A /a/b/c", "C /etc", "D /etc/group", "C /etc/passwd", "D /root"})
    EXPECT_NE(std::find(l.begin(), l.end(), want), l.end()) << want << " missing in\n" << d.out;
  // Parents before children, as dockerd walks the layer.
  EXPECT_LT(std::find(l.begin(), l.end(), "A /a"), std::find(l.begin(), l.end(), "A /a/b/c"));
  EXPECT_LT(std::find(l.begin(), l.end(), "C /etc"), std::find(l.begin(), l.end(), "D /etc/group"));
}

TEST_P(Cp, CommitThenRunTheNewImage) {
  std::string c = name("commit");
  run_in(c, "echo committed > /hello; rm /etc/group");
  std::string img = "berth-commit-test" + std::string(GetParam() == kDocker20 ? "20" : "28") + ":v1";
  images_.push_back(img);
  auto r = docker({"commit", "-a", "Tester <t@example.com>", "-m", "a message", "-c", "CMD [\"cat\", \"/hello\"]",
                   "-c", "ENV FOO=bar", "-c", "EXPOSE 8080", "-c", "LABEL x=y", "-c", "WORKDIR /tmp", c, img});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(nonempty_lines(r.out).at(0).rfind("sha256:", 0), 0u) << r.out;
  auto run = docker({"run", "--rm", img});
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, "committed\n");
  auto gone = docker({"run", "--rm", img, "ls", "/etc/group"});
  EXPECT_NE(gone.status, 0) << "the deletion was not committed";
  auto env = docker({"run", "--rm", img, "sh", "-c", "echo $FOO; pwd"});
  EXPECT_EQ(env.out, "bar\n/tmp\n");
  auto insp = docker({"image", "inspect", "-f", "{{.Author}}|{{json .Config.ExposedPorts}}|{{.Config.Labels.x}}", img});
  EXPECT_EQ(nonempty_lines(insp.out).at(0), "Tester <t@example.com>|{\"8080/tcp\":{}}|y") << insp.err;
  auto hist = docker({"history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Comment}}", img});
  EXPECT_EQ(nonempty_lines(hist.out).at(0), "sh -c echo committed > /hello; rm /etc/group|a message") << hist.out;
  // A bad change: dockerd's message, and no image.
  auto bad = docker({"commit", "-c", "FOO bar", c, "berth-commit-bad:1"});
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("foo is not a valid change command"), std::string::npos) << bad.err;
  EXPECT_NE(docker({"image", "inspect", "berth-commit-bad:1"}).status, 0);
  auto port = docker({"commit", "-c", "EXPOSE abc", c});
  EXPECT_NE(port.err.find("Invalid containerPort: abc"), std::string::npos) << port.err;
}

TEST_P(Cp, ExportHasTheContainersFiles) {
  std::string c = name("export");
  run_in(c, "echo exported > /exported; rm /etc/group");
  std::string out = tmp_ / "export.tar";
  auto r = docker({"export", "-o", out, c});
  ASSERT_EQ(r.status, 0) << r.err;
  auto list = nonempty_lines(sh_out("tar -tf " + out));
  std::set<std::string> names(list.begin(), list.end());
  EXPECT_TRUE(names.contains("exported")) << list.size();
  EXPECT_TRUE(names.contains("bin/busybox"));
  EXPECT_TRUE(names.contains("etc/passwd"));
  EXPECT_FALSE(names.contains("etc/group"));
  EXPECT_EQ(sh_out("tar -xOf " + out + " exported"), "exported\n");
}

// berth's own verbs: cp both ways (with -a and to a new name), diff, commit -c, export -o.
TEST_P(Cp, BerthCliVerbs) {
  if (GetParam() != kDocker28) GTEST_SKIP() << "the berth CLI does not depend on the docker client";
  auto berth = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {berth::test::bin("berth"), "-H", berthd_->host()});
    return berth::test::run(args);
  };
  std::string c = name("berth-cli");
  ASSERT_EQ(docker({"create", "--name", c, "busybox", "cat", "/tmp/in/f"}).status, 0);
  std::string src = tmp_ / "in";
  fs::create_directories(src);
  berth::test::write_text(src + "/f", "from the host\n");
  auto in = berth({"cp", "-a", src, c + ":/tmp/"});
  ASSERT_EQ(in.status, 0) << in.err;
  EXPECT_EQ(start_and_log(c), "from the host\n");
  auto out = berth({"cp", c + ":/tmp/in/f", tmp_ / "back"});
  ASSERT_EQ(out.status, 0) << out.err;
  EXPECT_EQ(berth::test::read_text(tmp_ / "back"), "from the host\n");
  auto missing = berth({"cp", src + "/f", c + ":/nonexist/x"});
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("Could not find the file /nonexist in container " + c), std::string::npos) << missing.err;
  auto d = berth({"diff", c});
  EXPECT_NE(d.out.find("A /tmp/in/f"), std::string::npos) << d.out;
  std::string img = "berth-cli-commit:1";
  images_.push_back(img);
  auto cm = berth({"commit", "-m", "msg", "-c", "CMD [\"cat\", \"/tmp/in/f\"]", c, img});
  ASSERT_EQ(cm.status, 0) << cm.err;
  auto run = docker({"run", "--rm", img});
  EXPECT_EQ(run.out, "from the host\n") << run.err;
  std::string tar = tmp_ / "e.tar";
  auto ex = berth({"export", "-o", tar, c});
  ASSERT_EQ(ex.status, 0) << ex.err;
  EXPECT_EQ(sh_out("tar -xOf " + tar + " tmp/in/f"), "from the host\n");
}

INSTANTIATE_TEST_SUITE_P(Clients, Cp, ::testing::Values(kDocker28, kDocker20),
                         [](const auto& info) { return info.param == kDocker28 ? "docker28" : "docker20"; });
