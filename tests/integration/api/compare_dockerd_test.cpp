// The same docker commands, with both stock clients (28.x and Debian's 20.10), against a private
// berthd and a private dockerd: exit codes, error messages and output shape must agree (IDs and
// times aside). Where berth differs on purpose the difference is asserted, with the reason.
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "api/berthd_fixture.hpp"
#include "api/busybox_archive.hpp"
#include "api/compare_helpers.hpp"
#include "api/dockerd_fixture.hpp"

using namespace berth::api::test;
using berth::test::CmdResult;
using nlohmann::json;

namespace {

using berth::test::lines;

struct Both {
  CmdResult berth, docker;
};

class CompareWithDockerd : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    berthd_ = std::make_unique<Berthd>();
    dockerd_ = std::make_unique<Dockerd>();
    if (!berthd_->ready() || !dockerd_->ready() || busybox_archive().empty()) return;
    loaded_ = berthd_->docker({"load", "-i", busybox_archive()}).status == 0 &&
              dockerd_->docker({"load", "-i", busybox_archive()}).status == 0;
  }
  static void TearDownTestSuite() {
    dockerd_.reset();
    berthd_.reset();
  }
  void SetUp() override {
    if (!berth::test::have_program("dockerd")) GTEST_SKIP() << "dockerd (package docker.io) is not installed";
    ASSERT_TRUE(berth::test::have_program(GetParam())) << GetParam() << " is not installed";
    ASSERT_TRUE(berthd_->ready()) << berthd_->log();
    ASSERT_TRUE(dockerd_->ready()) << dockerd_->log();
    ASSERT_TRUE(loaded_) << "busybox did not load into both daemons";
  }
  void TearDown() override {
    if (!made_.empty()) {
      std::vector<std::string> rm = {"rm", "-f"};
      rm.insert(rm.end(), made_.begin(), made_.end());
      both(rm);
    }
  }
  // A container name unique to this client's run; removed from both daemons at the end.
  std::string name(const std::string& base) {
    std::string n = base + (GetParam() == kDocker20 ? "-20" : "-28");
    made_.push_back(n);
    return n;
  }
  Both both(const std::vector<std::string>& args) {
    return {berthd_->docker(args, GetParam()), dockerd_->docker(args, GetParam())};
  }
  // Same exit code and the same stderr once IDs are taken out.
  void expect_same(const std::vector<std::string>& args) {
    auto r = both(args);
    std::string cmd;
    for (auto& a : args) cmd += a + " ";
    EXPECT_EQ(r.berth.status, r.docker.status) << cmd << "\nberth: " << r.berth.err << "\ndockerd: " << r.docker.err;
    EXPECT_EQ(no_ids(r.berth.err), no_ids(r.docker.err)) << cmd;
  }
  bool old_client() const { return GetParam() == kDocker20; }

  static inline std::unique_ptr<Berthd> berthd_;
  static inline std::unique_ptr<Dockerd> dockerd_;
  static inline bool loaded_ = false;
  std::vector<std::string> made_;
};

}  // namespace

TEST_P(CompareWithDockerd, RunExitCodes) {
  for (auto& [args, code] : std::vector<std::pair<std::vector<std::string>, int>>{
           {{"true"}, 0}, {{"sh", "-c", "exit 3"}, 3}, {{"/nonexistent"}, 127}, {{"/etc/passwd"}, 126}}) {
    std::vector<std::string> cmd = {"run", "--rm", "--network", "none", "busybox"};
    cmd.insert(cmd.end(), args.begin(), args.end());
    auto r = both(cmd);
    EXPECT_EQ(r.docker.status, code) << args[0] << ": " << r.docker.err;
    EXPECT_EQ(r.berth.status, code) << args[0] << ": " << r.berth.err;
    if (code >= 126) {
      // Both name the program; the runtime's own words differ (runc's vs berth's).
      EXPECT_NE(r.berth.err.find("Error response from daemon: "), std::string::npos) << r.berth.err;
      EXPECT_NE(r.berth.err.find(args[0]), std::string::npos) << r.berth.err;
    }
  }
  // A flag the client does not know: the client's own 125 and text, identical.
  expect_same({"run", "--rm", "--bogus", "busybox", "true"});
}

TEST_P(CompareWithDockerd, PsColumnsAndStatusWords) {
  std::string created = name("ps-created"), exited = name("ps-exited"), up = name("ps-up");
  for (auto& args : std::vector<std::vector<std::string>>{
           {"create", "--network", "none", "--name", created, "busybox", "true"},
           {"run", "--network", "none", "--name", exited, "busybox", "true"},
           {"run", "-d", "--network", "none", "--name", up, "busybox", "sleep", "100"}}) {
    auto r = both(args);
    ASSERT_EQ(r.berth.status, 0) << r.berth.err;
    ASSERT_EQ(r.docker.status, 0) << r.docker.err;
  }
  auto filter = "--filter=name=ps-";
  auto ps = both({"ps", "-a", filter});
  ASSERT_EQ(ps.berth.status, 0) << ps.berth.err;
  auto bl = lines(ps.berth.out), dl = lines(ps.docker.out);
  ASSERT_EQ(bl.size(), 4u) << ps.berth.out;
  ASSERT_EQ(dl.size(), 4u) << ps.docker.out;
  // CONTAINER ID   IMAGE     COMMAND   CREATED: the same widths up to CREATED, whose own width
  // follows its values ("Less than a second ago" or "1 second ago", depending on timing).
  auto upto_created = [](const std::string& l) { return l.substr(0, l.find("CREATED")); };
  EXPECT_EQ(upto_created(bl[0]), upto_created(dl[0]));
  for (const char* col : {"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"})
    EXPECT_NE(bl[0].find(col), std::string::npos) << col;
  // Newest first, with docker's status words.
  auto fmt = both({"ps", "-a", filter, "--format", "{{.Names}}|{{.State}}|{{.Command}}|{{.Image}}"});
  EXPECT_EQ(fmt.berth.out, fmt.docker.out);
  auto status = both({"ps", "-a", filter, "--format", "{{.Status}}"});
  for (auto* out : {&status.berth.out, &status.docker.out}) {
    auto s = lines(*out);
    ASSERT_EQ(s.size(), 3u) << *out;
    EXPECT_TRUE(s[0].starts_with("Up ")) << s[0];
    EXPECT_TRUE(s[1].starts_with("Exited (0) ") && s[1].ends_with(" ago")) << s[1];
    EXPECT_EQ(s[2], "Created");
  }
  // -q, -n, -l, -s, and a filter by status.
  EXPECT_EQ(lines(both({"ps", "-q", filter}).berth.out).size(), 1u);
  auto last = both({"ps", "-n", "2", filter, "--format", "{{.Names}}"});
  EXPECT_EQ(last.berth.out, last.docker.out);
  auto latest = both({"ps", "-l", "--format", "{{.Names}}"});
  EXPECT_EQ(latest.berth.out, latest.docker.out);
  auto size = both({"ps", "-a", "-s", filter});
  EXPECT_NE(lines(size.berth.out).at(0).find("SIZE"), std::string::npos) << size.berth.out;
  EXPECT_NE(lines(size.berth.out).at(1).find("(virtual "), std::string::npos) << size.berth.out;
  auto by_status = both({"ps", "--filter", "status=exited", filter, "--format", "{{.Names}}"});
  EXPECT_EQ(by_status.berth.out, by_status.docker.out);
  EXPECT_EQ(by_status.berth.out, exited + "\n");
  // An unknown filter: the same exit code. dockerd 20.10 capitalises "Invalid filter"; berth
  // answers as current dockerd does ("invalid filter 'foo'").
  auto bad = both({"ps", "--filter", "foo=bar"});
  EXPECT_EQ(bad.berth.status, bad.docker.status);
  EXPECT_EQ(bad.berth.err, "Error response from daemon: invalid filter 'foo'\n");
  EXPECT_EQ(bad.docker.err, "Error response from daemon: Invalid filter 'foo'\n");
}

TEST_P(CompareWithDockerd, InspectKeysAndTypes) {
  std::string c = name("inspect");
  auto run = both({"run", "-d", "--network", "none", "--name", c, "busybox", "sleep", "100"});
  ASSERT_EQ(run.berth.status, 0) << run.berth.err;
  auto r = both({"inspect", c});
  ASSERT_EQ(r.berth.status, 0) << r.berth.err;
  auto bj = json::parse(r.berth.out), dj = json::parse(r.docker.out);
  ASSERT_TRUE(bj.is_array() && bj.size() == 1) << r.berth.out;
  const json &b = bj[0], &d = dj[0];
  expect_keys_of(b, d, "");
  for (const char* obj : {"State", "Config", "HostConfig", "NetworkSettings", "GraphDriver"})
    expect_keys_of(b[obj], d[obj], obj);
  expect_keys_of(b["GraphDriver"]["Data"], d["GraphDriver"]["Data"], "GraphDriver.Data");
  expect_keys_of(b["State"], d["State"], "State");
  EXPECT_EQ(b["State"].size(), d["State"].size()) << b["State"].dump();
  EXPECT_EQ(b["State"]["Status"], "running");
  EXPECT_EQ(b["Name"], "/" + c);
  EXPECT_EQ(b["Path"], d["Path"]);
  EXPECT_EQ(b["Args"], d["Args"]);
  EXPECT_EQ(b["Config"]["Cmd"], d["Config"]["Cmd"]);
  EXPECT_EQ(b["HostConfig"]["NetworkMode"], "none");
  // -f over several objects, and the lookup of each kind on 404.
  auto f = both({"inspect", "-f", "{{.State.Status}} {{.Name}}", c});
  EXPECT_EQ(f.berth.out, f.docker.out);
  expect_same({"inspect", "nosuch"});
  auto typed = both({"inspect", "--type", "container", "nosuch"});
  EXPECT_EQ(typed.berth.status, 1);
  EXPECT_EQ(typed.berth.err, typed.docker.err);
  auto img = both({"inspect", "-f", "{{.Id}}", "busybox"});
  EXPECT_EQ(img.berth.out, img.docker.out);  // the same image ID: loaded from the same archive
}

TEST_P(CompareWithDockerd, RemoveRunningNameConflictStartUnknown) {
  std::string c = name("busy");
  ASSERT_EQ(both({"run", "-d", "--network", "none", "--name", c, "busybox", "sleep", "100"}).berth.status, 0);
  auto rm = both({"rm", c});
  EXPECT_EQ(rm.berth.status, 1);
  EXPECT_EQ(rm.docker.status, 1);
  // dockerd 20.10 words it "You cannot remove a running container <id>. Stop the container
  // before ..."; berth answers with current dockerd's message.
  EXPECT_EQ(rm.berth.err, "Error response from daemon: cannot remove container \"/" + c +
                              "\": container is running: stop the container before removing or force remove\n");
  EXPECT_NE(rm.docker.err.find("You cannot remove a running container"), std::string::npos) << rm.docker.err;
  expect_same({"create", "--network", "none", "--name", c, "busybox", "true"});  // name conflict
  expect_same({"start", "nosuch"});
  expect_same({"stop", "nosuch"});
  expect_same({"rm", "nosuch"});
  expect_same({"logs", "nosuch"});
  auto force = both({"rm", "-f", c});
  EXPECT_EQ(force.berth.status, 0) << force.berth.err;
  EXPECT_EQ(force.berth.out, force.docker.out);
}

TEST_P(CompareWithDockerd, Rename) {
  std::string a = name("ren-a"), b = name("ren-b"), c = name("ren-c");
  ASSERT_EQ(both({"create", "--network", "none", "--name", a, "busybox", "true"}).berth.status, 0);
  ASSERT_EQ(both({"create", "--network", "none", "--name", b, "busybox", "true"}).berth.status, 0);
  expect_same({"rename", a, b});      // the name is taken: 409, the client's second line
  expect_same({"rename", a, a});      // the same name
  expect_same({"rename", a, "x y"});  // not a valid name
  expect_same({"rename", "nosuch", "zz-" + a});
  auto ok = both({"rename", a, c});
  EXPECT_EQ(ok.berth.status, 0) << ok.berth.err;
  EXPECT_EQ(ok.berth.out, ok.docker.out);
  auto names = both({"ps", "-a", "--filter", "name=ren-", "--format", "{{.Names}}"});
  EXPECT_EQ(names.berth.out, names.docker.out);
  EXPECT_NE(names.berth.out.find(c), std::string::npos);
}

TEST_P(CompareWithDockerd, PauseUnpauseStop) {
  std::string c = name("frozen"), idle = name("idle");
  ASSERT_EQ(both({"run", "-d", "--network", "none", "--name", c, "busybox", "sleep", "100"}).berth.status, 0);
  ASSERT_EQ(both({"create", "--network", "none", "--name", idle, "busybox", "true"}).berth.status, 0);
  auto p = both({"pause", c});
  EXPECT_EQ(p.berth.status, 0) << p.berth.err;
  EXPECT_EQ(p.berth.out, p.docker.out);
  auto st = both({"inspect", "-f", "{{.State.Status}} {{.State.Running}} {{.State.Paused}}", c});
  EXPECT_EQ(st.berth.out, "paused true true\n");
  EXPECT_EQ(st.berth.out, st.docker.out);
  auto ps = both({"ps", "--filter", "name=" + c, "--format", "{{.Status}}"});
  EXPECT_TRUE(ps.berth.out.ends_with("(Paused)\n")) << ps.berth.out;
  expect_same({"pause", c});         // already paused
  expect_same({"pause", idle});      // not running
  expect_same({"unpause", idle});    // not paused
  auto rm = both({"rm", c});
  EXPECT_EQ(rm.berth.status, rm.docker.status);
  // dockerd 20.10: "You cannot remove a paused container <id>. Unpause and then stop ...";
  // berth: current dockerd's wording.
  EXPECT_EQ(rm.berth.err, "Error response from daemon: cannot remove container \"/" + c +
                              "\": container is paused and must be unpaused first\n");
  auto up = both({"unpause", c});
  EXPECT_EQ(up.berth.status, 0) << up.berth.err;
  EXPECT_EQ(up.berth.out, up.docker.out);
  ASSERT_EQ(both({"pause", c}).berth.status, 0);
  // Stop of a paused container works: the signal, then a thaw so it can act on it.
  auto stop = both({"stop", "-t", "1", c});
  EXPECT_EQ(stop.berth.status, 0) << stop.berth.err;
  EXPECT_EQ(stop.berth.out, stop.docker.out);
  auto after = both({"inspect", "-f", "{{.State.Status}} {{.State.Paused}}", c});
  EXPECT_EQ(after.berth.out, "exited false\n");
  EXPECT_EQ(after.berth.out, after.docker.out);
  auto again = both({"stop", c});  // already stopped: 304, the name printed all the same
  EXPECT_EQ(again.berth.status, 0);
  EXPECT_EQ(again.berth.out, again.docker.out);
  expect_same({"kill", c});  // not running
}

TEST_P(CompareWithDockerd, Logs) {
  std::string c = name("talker");
  auto r = both({"run", "--network", "none", "--name", c, "busybox", "sh", "-c", "echo out; echo err >&2"});
  EXPECT_EQ(r.berth.status, 0) << r.berth.err;
  auto logs = both({"logs", c});
  EXPECT_EQ(logs.berth.out, logs.docker.out);
  EXPECT_EQ(logs.berth.err, logs.docker.err);
  EXPECT_EQ(logs.berth.out, "out\n");
  EXPECT_EQ(logs.berth.err, "err\n");
  // One stream only: the order of lines across stdout and stderr is not defined on either side.
  std::string lines3 = name("lines");
  ASSERT_EQ(both({"run", "--network", "none", "--name", lines3, "busybox", "sh", "-c", "echo 1; echo 2; echo 3"})
                .berth.status, 0);
  auto tail = both({"logs", "--tail", "2", lines3});
  EXPECT_EQ(tail.berth.out, tail.docker.out);
  EXPECT_EQ(tail.berth.out, "2\n3\n");
}

// Restart policies and signals refused as dockerd refuses them (status and message), nothing created.
TEST_P(CompareWithDockerd, RestartPolicyAndSignalErrors) {
  std::string c = name("bad-input");
  for (auto& flags : std::vector<std::vector<std::string>>{{"--restart", "always", "--rm"},
                                                          {"--restart", "on-failure:-1"},
                                                          {"--restart", "always:3"},
                                                          {"--restart", "sometimes"},
                                                          {"--stop-signal", "NOPE"}}) {
    std::vector<std::string> args = {"create", "--name", c};
    args.insert(args.end(), flags.begin(), flags.end());
    args.insert(args.end(), {"busybox", "true"});
    expect_same(args);
    auto r = both({"inspect", c});
    EXPECT_NE(r.berth.status, 0) << "created with " << flags[0] << " " << flags[1];
  }
  ASSERT_EQ(both({"run", "-d", "--name", c, "busybox", "sleep", "100"}).berth.status, 0);
  expect_same({"kill", "-s", "NOPE", c});
  expect_same({"update", "--restart", "on-failure:-2", c});
  expect_same({"update", "--restart", "always:1", c});
  expect_same({"top", c, "-o", "x=PID"});
  both({"rm", "-f", c});
  ASSERT_EQ(both({"create", "--name", c, "busybox", "true"}).berth.status, 0);
  expect_same({"top", c});  // not running: 409 with dockerd's message
}

TEST_P(CompareWithDockerd, Exec) {
  std::string c = name("execd");
  ASSERT_EQ(both({"run", "-d", "--network", "none", "--name", c, "-e", "FROM_RUN=1", "busybox", "sleep", "100"}).berth.status, 0);
  for (auto& args : std::vector<std::vector<std::string>>{
           {"sh", "-c", "echo $FROM_RUN $X; exit 3"}, {"id"}, {"pwd"}}) {
    for (auto& flags : std::vector<std::vector<std::string>>{{}, {"-e", "X=2", "-u", "nobody", "-w", "/tmp"}, {"-u", "7:8"}}) {
      std::vector<std::string> cmd = {"exec"};
      cmd.insert(cmd.end(), flags.begin(), flags.end());
      cmd.push_back(c);
      cmd.insert(cmd.end(), args.begin(), args.end());
      auto r = both(cmd);
      EXPECT_EQ(r.berth.status, r.docker.status) << cmd.back() << r.berth.err;
      EXPECT_EQ(r.berth.out, r.docker.out) << r.berth.err;
    }
  }
  auto nf = both({"exec", c, "/nonexistent"});
  EXPECT_EQ(nf.berth.status, nf.docker.status) << nf.berth.out << nf.berth.err << "\ndockerd: " << nf.docker.out << nf.docker.err;
  expect_same({"exec", "-u", "nosuchuser", c, "true"});
  expect_same({"exec", "no-such-container", "true"});
  ASSERT_EQ(both({"pause", c}).berth.status, 0);
  expect_same({"exec", c, "true"});  // paused
  ASSERT_EQ(both({"unpause", c}).berth.status, 0);
  ASSERT_EQ(both({"kill", c}).berth.status, 0);
  both({"wait", c});  // kill only signals: the exit comes after
  expect_same({"exec", c, "true"});  // not running
}

INSTANTIATE_TEST_SUITE_P(Clients, CompareWithDockerd, ::testing::Values(kDocker28, kDocker20),
                         [](const auto& info) { return info.param == kDocker28 ? "docker28" : "docker20"; });
