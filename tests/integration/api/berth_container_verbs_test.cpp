// The berth CLI's container verbs against a private berthd: ps (columns, status words, -a -q -n
// -l -s --no-trunc --format), inspect (containers and images, --type, -f), rename, pause,
// unpause, restart, container prune, and the management groups; the tables are compared with
// what docker 28 prints against the same daemon.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <ctime>
#include <sstream>

#include "api/berthd_fixture.hpp"
#include "api/busybox_archive.hpp"

using namespace berth::api::test;
using berth::test::run;

namespace {

using berth::test::lines;

class BerthContainerVerbs : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(busybox_archive().empty());
    ASSERT_TRUE(d.ready()) << d.log();
    ASSERT_EQ(berth({"load", "-i", busybox_archive()}).status, 0);
  }
  void TearDown() override {
    auto ids = lines(berth({"ps", "-aq"}).out);
    if (ids.empty()) return;
    ids.insert(ids.begin(), {"rm", "-f"});
    berth(ids);
  }
  berth::test::CmdResult berth(std::vector<std::string> args) {
    args.insert(args.begin(), {"env", "BERTH_HOST=" + d.host(), berth::test::bin("berth")});
    return run(args, "", std::chrono::seconds(60));
  }
  Berthd d;
};

}  // namespace

TEST_F(BerthContainerVerbs, PsColumnsStatusWordsAndFlags) {
  ASSERT_EQ(berth({"create", "--name", "made", "busybox", "true"}).status, 0);
  ASSERT_EQ(berth({"run", "--name", "done", "busybox", "true"}).status, 0);
  auto up = berth({"run", "-d", "--name", "up", "busybox", "sleep", "100"});
  ASSERT_EQ(up.status, 0) << up.err;

  auto ps = berth({"ps"});
  ASSERT_EQ(ps.status, 0) << ps.err;
  auto rows = lines(ps.out);
  ASSERT_EQ(rows.size(), 2u) << ps.out;  // only the running one without -a
  EXPECT_EQ(rows[0].substr(0, 25), "CONTAINER ID   IMAGE     ");
  EXPECT_NE(rows[1].find("\"sleep 100\""), std::string::npos) << rows[1];
  EXPECT_NE(rows[1].find(" Up "), std::string::npos) << rows[1];

  auto all = berth({"ps", "-a", "--format", "{{.Names}} {{.State}} {{.Status}}"});
  auto a = lines(all.out);
  ASSERT_EQ(a.size(), 3u) << all.out;
  EXPECT_TRUE(a[0].starts_with("up running Up ")) << a[0];
  EXPECT_TRUE(a[1].starts_with("done exited Exited (0) ") && a[1].ends_with(" ago")) << a[1];
  EXPECT_EQ(a[2], "made created Created");
  // The same table as docker prints against the same daemon (column widths and all).
  std::string table = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.Status}}\t{{.Names}}";
  auto mine = berth({"ps", "-a", "--format", table});
  auto theirs = d.docker({"ps", "-a", "--format", table});
  ASSERT_EQ(theirs.status, 0) << theirs.err;
  // Status words may tick between the two calls; compare all but the status column's text.
  ASSERT_EQ(lines(mine.out).size(), lines(theirs.out).size());
  EXPECT_EQ(lines(mine.out)[0], lines(theirs.out)[0]);
  EXPECT_EQ(berth({"ps", "-a", "--format", "{{json .Names}} {{.Command}}"}).out,
            d.docker({"ps", "-a", "--format", "{{json .Names}} {{.Command}}"}).out);

  auto q = lines(berth({"ps", "-aq"}).out);
  ASSERT_EQ(q.size(), 3u);
  for (auto& id : q) EXPECT_EQ(id.size(), 12u) << id;
  auto full = lines(berth({"ps", "-aq", "--no-trunc"}).out);
  ASSERT_EQ(full.size(), 3u);
  EXPECT_EQ(full[0].size(), 64u);
  EXPECT_EQ(berth({"ps", "-n", "2", "--format", "{{.Names}}"}).out, "up\ndone\n");
  EXPECT_EQ(berth({"ps", "-l", "--format", "{{.Names}}"}).out, "up\n");
  EXPECT_EQ(berth({"ps", "-a", "--filter", "status=created", "--format", "{{.Names}}"}).out, "made\n");
  EXPECT_EQ(berth({"ps", "-a", "--filter", "exited=0", "--format", "{{.Names}}"}).out, "done\n");
  EXPECT_EQ(berth({"ps", "-a", "--filter", "since=made", "--format", "{{.Names}}"}).out, "up\ndone\n");
  EXPECT_EQ(berth({"ps", "-a", "--filter", "before=done", "--format", "{{.Names}}"}).out, "made\n");
  auto sized = lines(berth({"ps", "-s"}).out);
  ASSERT_EQ(sized.size(), 2u);
  EXPECT_TRUE(sized[0].ends_with("SIZE")) << sized[0];
  EXPECT_NE(sized[1].find("B (virtual "), std::string::npos) << sized[1];
  EXPECT_EQ(berth({"container", "ls", "--format", "{{.Names}}"}).out, "up\n");

  auto bad = berth({"ps", "--filter", "status=bogus"});
  EXPECT_EQ(bad.status, 1);
  EXPECT_EQ(bad.err, "Error response from daemon: invalid filter 'status=bogus'\n");
  auto flag = berth({"ps", "-n", "x"});
  EXPECT_EQ(flag.status, 125);
}

TEST_F(BerthContainerVerbs, InspectContainersAndImages) {
  ASSERT_EQ(berth({"run", "--name", "ran", "busybox", "sh", "-c", "exit 3"}).status, 3);
  auto one = berth({"inspect", "ran"});
  ASSERT_EQ(one.status, 0) << one.err;
  auto j = nlohmann::json::parse(one.out);
  ASSERT_TRUE(j.is_array() && j.size() == 1);
  EXPECT_EQ(j[0]["State"]["Status"], "exited");
  EXPECT_EQ(j[0]["State"]["ExitCode"], 3);
  EXPECT_EQ(j[0]["GraphDriver"]["Name"], "overlay2");
  EXPECT_TRUE(j[0]["GraphDriver"]["Data"]["UpperDir"].is_string());
  EXPECT_TRUE(j[0]["HostConfig"]["RestartPolicy"].is_object());
  EXPECT_TRUE(j[0]["Mounts"].is_array());
  EXPECT_EQ(berth({"inspect", "-f", "{{.State.ExitCode}} {{.Name}}", "ran"}).out, "3 /ran\n");
  // A name that is no container is tried as an image.
  auto img = berth({"inspect", "-f", "{{.Id}}", "busybox"});
  EXPECT_EQ(img.status, 0) << img.err;
  EXPECT_TRUE(img.out.starts_with("sha256:")) << img.out;
  auto mixed = berth({"inspect", "-f", "{{.Name}}", "ran", "nosuch"});
  EXPECT_EQ(mixed.status, 1);
  EXPECT_EQ(mixed.out, "/ran\n");
  EXPECT_EQ(mixed.err, "Error: No such object: nosuch\n");
  auto none = berth({"inspect", "nosuch"});
  EXPECT_EQ(none.out, "[]\n");
  auto typed = berth({"inspect", "--type", "container", "busybox"});
  EXPECT_EQ(typed.status, 1);
  EXPECT_EQ(typed.err, "Error response from daemon: No such container: busybox\n");
  auto badtype = berth({"inspect", "--type", "thing", "ran"});
  EXPECT_EQ(badtype.status, 1);
  EXPECT_EQ(badtype.err, "Error: \"thing\" is not a valid value for --type\n");
  auto sized = berth({"container", "inspect", "-s", "-f", "{{.SizeRw}}", "ran"});
  EXPECT_EQ(sized.out, "0\n") << sized.err;
}

TEST_F(BerthContainerVerbs, RenamePauseRestartPrune) {
  ASSERT_EQ(berth({"run", "-d", "--name", "svc", "busybox", "sleep", "100"}).status, 0);
  ASSERT_EQ(berth({"create", "--name", "idle", "busybox", "true"}).status, 0);
  auto clash = berth({"rename", "idle", "svc"});
  EXPECT_EQ(clash.status, 1);
  EXPECT_TRUE(clash.err.starts_with("Error response from daemon: Error when allocating new name: Conflict. "
                                    "The container name \"/svc\" is already in use by container "))
      << clash.err;
  EXPECT_TRUE(clash.err.ends_with("\nError: failed to rename container named idle\n")) << clash.err;
  EXPECT_EQ(berth({"rename", "idle", "spare"}).status, 0);
  EXPECT_EQ(berth({"inspect", "-f", "{{.Name}}", "spare"}).out, "/spare\n");

  auto p = berth({"pause", "svc"});
  EXPECT_EQ(p.status, 0) << p.err;
  EXPECT_EQ(p.out, "svc\n");
  EXPECT_EQ(berth({"inspect", "-f", "{{.State.Status}} {{.State.Paused}} {{.State.Running}}", "svc"}).out,
            "paused true true\n");
  auto status = berth({"ps", "--format", "{{.Status}}"}).out;
  EXPECT_TRUE(status.starts_with("Up ") && status.ends_with(" (Paused)\n")) << status;
  auto again = berth({"pause", "svc"});
  EXPECT_EQ(again.status, 1);
  EXPECT_NE(again.err.find(" is already paused"), std::string::npos) << again.err;
  auto rm = berth({"rm", "svc"});
  EXPECT_EQ(rm.status, 1);
  EXPECT_NE(rm.err.find("container is paused and must be unpaused first"), std::string::npos) << rm.err;
  EXPECT_EQ(berth({"unpause", "svc"}).out, "svc\n");
  EXPECT_EQ(berth({"unpause", "svc"}).status, 1);

  auto restart = berth({"restart", "-t", "1", "svc"});
  EXPECT_EQ(restart.status, 0) << restart.err;
  EXPECT_EQ(restart.out, "svc\n");
  EXPECT_EQ(berth({"inspect", "-f", "{{.State.Status}}", "svc"}).out, "running\n");

  // Prune removes stopped containers only; a running one stays.
  auto prune = berth({"container", "prune", "-f"});
  EXPECT_EQ(prune.status, 0) << prune.err;
  auto pl = lines(prune.out);
  ASSERT_EQ(pl.size(), 4u) << prune.out;
  EXPECT_EQ(pl[0], "Deleted Containers:");
  EXPECT_EQ(pl[1].size(), 64u);
  EXPECT_EQ(pl[3], "Total reclaimed space: 0B");
  EXPECT_EQ(berth({"ps", "-a", "--format", "{{.Names}}"}).out, "svc\n");
  EXPECT_EQ(berth({"container", "prune", "-f"}).out, "Total reclaimed space: 0B\n");
  auto badf = berth({"container", "prune", "-f", "--filter", "foo=bar"});
  EXPECT_EQ(badf.status, 1);
  EXPECT_EQ(badf.err, "Error response from daemon: invalid filter 'foo'\n");
  // Stop of a paused container: the signal, then a thaw.
  ASSERT_EQ(berth({"pause", "svc"}).status, 0);
  EXPECT_EQ(berth({"stop", "-t", "1", "svc"}).out, "svc\n");
  EXPECT_EQ(berth({"inspect", "-f", "{{.State.Status}}", "svc"}).out, "exited\n");
  // Each change was an event, with dockerd's actions and attributes.
  auto ev = berth({"events", "--since", "0", "--until", std::to_string(std::time(nullptr) + 1), "--filter",
                   "type=container", "--format", "{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.oldName}}"});
  EXPECT_EQ(ev.status, 0) << ev.err;
  for (const char* want : {"rename spare /idle\n", "pause svc <no value>\n", "unpause svc <no value>\n",
                           "prune <no value> <no value>\n"})
    EXPECT_NE(ev.out.find(want), std::string::npos) << want << "\n" << ev.out;
}

TEST_F(BerthContainerVerbs, ErrorsAndManagementGroups) {
  auto start = berth({"start", "nosuch"});
  EXPECT_EQ(start.status, 1);
  EXPECT_EQ(start.err, "Error response from daemon: No such container: nosuch\nError: failed to start containers: nosuch\n");
  auto pause = berth({"pause"});
  EXPECT_EQ(pause.status, 1);
  EXPECT_TRUE(pause.err.starts_with("berth: 'berth pause' requires at least 1 argument")) << pause.err;
  auto rename = berth({"rename", "only-one"});
  EXPECT_EQ(rename.status, 1);
  EXPECT_TRUE(rename.err.starts_with("berth: 'berth rename' requires 2 arguments\n")) << rename.err;
  auto run_rm = berth({"container", "run", "--rm", "busybox", "echo", "hi"});
  EXPECT_EQ(run_rm.status, 0) << run_rm.err;
  EXPECT_EQ(run_rm.out, "hi\n");
  EXPECT_EQ(berth({"container", "ls", "-a", "-q"}).out, "");
  auto images = berth({"image", "ls", "--format", "{{.Repository}}:{{.Tag}}"});
  EXPECT_EQ(images.out, "busybox:latest\n");
  EXPECT_EQ(berth({"image", "tag", "busybox", "bb:v1"}).status, 0);
  EXPECT_EQ(berth({"image", "history", "-q", "bb:v1"}).status, 0);
  EXPECT_EQ(berth({"image", "rm", "bb:v1"}).out, "Untagged: bb:v1\n");
}
