// Volumes and mounts with both stock clients against a private berthd: named volumes outlive
// their containers and start filled from the image, binds (read-only too), tmpfs sizes,
// --volumes-from, the in-use refusal, rm -v, prune, dockerd's errors for bad input (nothing
// created), and hostile paths that must not lead out of the container's root.
#include <gtest/gtest.h>

#include <sys/mount.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "api/berthd_fixture.hpp"
#include "api/busybox_archive.hpp"
#include "engine/volume_store.hpp"

using namespace berth::api::test;

namespace {

class Volumes : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(berth::test::have_program(GetParam())) << GetParam() << " is not installed";
    ASSERT_FALSE(busybox_archive().empty());
    ASSERT_TRUE(d.ready()) << d.log();
    auto r = docker({"load", "-i", busybox_archive()});
    ASSERT_EQ(r.status, 0) << r.err;
  }
  void TearDown() override {
    std::istringstream in(docker({"ps", "-aq"}).out);
    for (std::string id; in >> id;) docker({"rm", "-f", id});
    std::istringstream vols(docker({"volume", "ls", "-q"}).out);
    for (std::string v; vols >> v;) docker({"volume", "rm", "-f", v});
  }
  berth::test::CmdResult docker(std::vector<std::string> args) { return d.docker(std::move(args), GetParam()); }
  std::string out(std::vector<std::string> args) {
    auto r = docker(std::move(args));
    EXPECT_EQ(r.status, 0) << r.err;
    return r.out;
  }
  bool docker28() const { return GetParam() == kDocker28; }
  Berthd d;
};

}  // namespace

TEST_P(Volumes, NamedVolumeIsFilledFromTheImageAndOutlivesItsContainer) {
  auto image_stat = out({"run", "--rm", "busybox", "stat", "-c", "%a %u %g %s", "/etc/passwd"});
  auto first = docker({"run", "--rm", "-v", "data1:/etc", "busybox", "sh", "-c",
                       "stat -c '%a %u %g %s' /etc/passwd && echo kept > /etc/note"});
  ASSERT_EQ(first.status, 0) << first.err;
  EXPECT_EQ(first.out, image_stat) << "copy-up must keep mode, owner and content";
  auto second = docker({"run", "--rm", "-v", "data1:/x", "busybox", "cat", "/x/note"});
  ASSERT_EQ(second.status, 0) << second.err;
  EXPECT_EQ(second.out, "kept\n");
  auto mp = out({"volume", "inspect", "data1", "-f", "{{.Mountpoint}} {{.Driver}} {{.Scope}}"});
  EXPECT_EQ(mp, d.path("data/volumes/data1/_data") + " local local\n");
  EXPECT_EQ(berth::test::read_text(d.path("data/volumes/data1/_data/note")), "kept\n");
  // nocopy: a new volume stays empty.
  auto empty = docker({"run", "--rm", "-v", "data2:/etc:nocopy", "busybox", "ls", "-A", "/etc"});
  ASSERT_EQ(empty.status, 0) << empty.err;
  EXPECT_EQ(empty.out, "");
}

TEST_P(Volumes, InspectShowsMountsAsDockerd) {
  berth::test::TempDir host("berth-vol-bind");
  ASSERT_EQ(docker({"create", "--name", "m1", "-v", "named:/n", "-v", host.path() + ":/b:ro", "-v", "/anon",
                    "--tmpfs", "/t", "busybox", "true"}).status, 0);
  auto mounts = nlohmann::json::parse(out({"inspect", "m1", "-f", "{{json .Mounts}}"}));
  ASSERT_EQ(mounts.size(), 3u) << mounts.dump();  // tmpfs mounts are not listed, as in dockerd
  std::map<std::string, nlohmann::json> by_dest;
  for (auto& m : mounts) by_dest[m["Destination"]] = m;
  EXPECT_EQ(by_dest["/n"]["Type"], "volume");
  EXPECT_EQ(by_dest["/n"]["Name"], "named");
  EXPECT_EQ(by_dest["/n"]["Source"], d.path("data/volumes/named/_data"));
  EXPECT_EQ(by_dest["/n"]["Driver"], "local");
  EXPECT_EQ(by_dest["/n"]["RW"], true);
  EXPECT_EQ(by_dest["/b"]["Type"], "bind");
  EXPECT_EQ(by_dest["/b"]["Source"], host.path());
  EXPECT_EQ(by_dest["/b"]["Mode"], "ro");
  EXPECT_EQ(by_dest["/b"]["RW"], false);
  EXPECT_EQ(by_dest["/b"]["Propagation"], "rprivate");
  EXPECT_EQ(by_dest["/anon"]["Name"].get<std::string>().size(), 64u);
}

TEST_P(Volumes, ReadOnlyBindRefusesWritesAndMissingSourceIsMade) {
  berth::test::TempDir host("berth-vol-bind");
  auto ro = docker({"run", "--rm", "-v", host.path() + ":/data:ro", "busybox", "sh", "-c", "echo x > /data/f"});
  EXPECT_NE(ro.status, 0);
  EXPECT_NE(ro.err.find("Read-only file system"), std::string::npos) << ro.err;
  EXPECT_FALSE(std::filesystem::exists(host / "f"));
  auto rw = docker({"run", "--rm", "-v", host.path() + ":/data", "busybox", "sh", "-c", "echo y > /data/f"});
  ASSERT_EQ(rw.status, 0) << rw.err;
  EXPECT_EQ(berth::test::read_text(host / "f"), "y\n");
  ASSERT_EQ(docker({"run", "--rm", "-v", host / "made/sub" + ":/m", "busybox", "true"}).status, 0);
  EXPECT_TRUE(std::filesystem::is_directory(host / "made/sub")) << "-v makes a missing host path, as dockerd";
  auto mount_ro = docker({"run", "--rm", "--mount", "type=bind,source=" + host.path() + ",target=/d,readonly",
                          "busybox", "sh", "-c", "cat /d/f; touch /d/g"});
  EXPECT_EQ(mount_ro.out, "y\n");
  EXPECT_NE(mount_ro.status, 0);
  EXPECT_FALSE(std::filesystem::exists(host / "g"));
}

TEST_P(Volumes, TmpfsHasTheAskedSize) {
  auto r = docker({"run", "--rm", "--tmpfs", "/run:size=1m", "--mount", "type=tmpfs,destination=/t,tmpfs-size=2m",
                   "busybox", "sh", "-c", "df -k /run /t | tail -n 2; grep -E ' /(run|t) ' /proc/mounts"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("tmpfs                     1024"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tmpfs                     2048"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tmpfs /run tmpfs rw,nosuid,nodev,noexec"), std::string::npos) << r.out;
}

TEST_P(Volumes, VolumesFromSharesTheDonorsVolumesReadOnlyWhenAsked) {
  ASSERT_EQ(docker({"create", "--name", "donor", "-v", "shared:/data", "busybox", "true"}).status, 0);
  ASSERT_EQ(docker({"run", "--rm", "--volumes-from", "donor", "busybox", "sh", "-c", "echo from > /data/x"}).status, 0);
  auto ro = docker({"run", "--rm", "--volumes-from", "donor:ro", "busybox", "sh", "-c", "cat /data/x; touch /data/y"});
  EXPECT_EQ(ro.out, "from\n");
  EXPECT_NE(ro.status, 0) << "donor:ro must be read-only";
  auto missing = docker({"run", "--rm", "--volumes-from", "nosuch", "busybox", "true"});
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.err.find("No such container: nosuch"), std::string::npos) << missing.err;
}

TEST_P(Volumes, VolumeInUseIsRefusedUntilItsContainerGoes) {
  auto id = out({"create", "--name", "user1", "-v", "inuse:/data", "busybox", "true"});
  id = id.substr(0, id.find('\n'));
  auto rm = docker({"volume", "rm", "inuse"});
  EXPECT_NE(rm.status, 0);
  EXPECT_NE(rm.err.find("remove inuse: volume is in use - [" + id + "]"), std::string::npos) << rm.err;
  auto raw = raw_request(d.socket_path(), "DELETE", "/v1.41/volumes/inuse");
  EXPECT_EQ(raw.status, 409) << raw.body;
  ASSERT_EQ(docker({"rm", "user1"}).status, 0);
  EXPECT_EQ(docker({"volume", "rm", "inuse"}).status, 0);
  EXPECT_FALSE(std::filesystem::exists(d.path("data/volumes/inuse")));
  auto gone = docker({"volume", "inspect", "inuse"});
  EXPECT_NE(gone.status, 0);
  EXPECT_NE(gone.err.find("such volume"), std::string::npos) << gone.err;
}

TEST_P(Volumes, RmVRemovesAnonymousVolumesOnly) {
  ASSERT_EQ(docker({"create", "--name", "a1", "-v", "/anon", "-v", "keep:/keep", "busybox", "true"}).status, 0);
  auto anon = out({"inspect", "a1", "-f", "{{range .Mounts}}{{if eq .Destination \"/anon\"}}{{.Name}}{{end}}{{end}}"});
  anon = anon.substr(0, anon.find('\n'));
  ASSERT_EQ(anon.size(), 64u);
  EXPECT_EQ(out({"volume", "inspect", anon, "-f", "{{json .Labels}}"}), "{\"com.docker.volume.anonymous\":\"\"}\n");
  ASSERT_EQ(docker({"rm", "-v", "a1"}).status, 0);
  auto ls = out({"volume", "ls", "-q"});
  EXPECT_EQ(ls.find(anon), std::string::npos) << ls;
  EXPECT_NE(ls.find("keep"), std::string::npos) << ls;
  // --rm takes its anonymous volumes too.
  ASSERT_EQ(docker({"run", "--rm", "-v", "/anon2", "busybox", "true"}).status, 0);
  EXPECT_EQ(out({"volume", "ls", "-q"}), "keep\n");
}

TEST_P(Volumes, CreateListFilterPruneAndEvents) {
  auto since = std::to_string(time(nullptr) - 1);
  ASSERT_EQ(docker({"volume", "create", "--label", "k=v", "pn"}).status, 0);
  ASSERT_EQ(docker({"volume", "create", "other"}).status, 0);
  auto user = docker({"create", "--name", "user2", "-v", "other:/o", "busybox", "true"});
  ASSERT_EQ(user.status, 0) << user.err;
  EXPECT_EQ(out({"volume", "ls", "-q", "-f", "label=k=v"}), "pn\n");
  EXPECT_EQ(out({"volume", "ls", "-q", "-f", "dangling=true"}), "pn\n");
  EXPECT_EQ(out({"volume", "ls", "-q", "-f", "name=oth"}), "other\n");
  auto bad_opt = docker({"volume", "create", "-o", "foo=bar", "badopt"});
  EXPECT_NE(bad_opt.status, 0);
  EXPECT_NE(bad_opt.err.find("create badopt: invalid option: \"foo\""), std::string::npos) << bad_opt.err;
  auto pruned = out({"volume", "prune", "-f"});
  if (docker28()) {
    EXPECT_EQ(pruned.find("pn"), std::string::npos) << "API 1.42+ prunes only anonymous volumes: " << pruned;
    pruned = out({"volume", "prune", "-af"});
  }
  EXPECT_NE(pruned.find("pn"), std::string::npos) << pruned;
  EXPECT_EQ(out({"volume", "ls", "-q"}), "other\n") << "a volume in use is never pruned";
  auto until = std::to_string(time(nullptr) + 1);
  auto ev = out({"events", "--since", since, "--until", until, "-f", "type=volume", "--format", "{{.Action}} {{.Actor.ID}}"});
  EXPECT_NE(ev.find("create pn\n"), std::string::npos) << ev;
  EXPECT_NE(ev.find("destroy pn\n"), std::string::npos) << ev;
  ASSERT_EQ(docker({"start", "user2"}).status, 0);
  auto ev2 = out({"events", "--since", since, "--until", std::to_string(time(nullptr) + 1), "-f", "type=volume",
                  "-f", "event=mount", "--format", "{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.container}}"});
  EXPECT_NE(ev2.find("mount other " + out({"inspect", "user2", "-f", "{{.Id}}"})), std::string::npos) << ev2;
  auto df = out({"system", "df", "--format", "{{.Type}} {{.TotalCount}} {{.Active}}"});
  EXPECT_NE(df.find("Local Volumes 1 1"), std::string::npos) << df;
}

TEST_P(Volumes, TmpfsAndBindVolumesFromDriverOptions) {
  berth::test::TempDir host("berth-vol-dev");
  ASSERT_EQ(docker({"volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=2m", "tv"}).status, 0);
  ASSERT_EQ(docker({"volume", "create", "-o", "type=none", "-o", "o=bind", "-o", "device=" + host.path(), "bv"}).status, 0);
  std::string mp = d.path("data/volumes/tv/_data");
  auto mounted = [&] { return berth::test::read_text("/proc/self/mountinfo").find(" " + mp + " ") != std::string::npos; };
  EXPECT_FALSE(mounted()) << "a tmpfs volume is mounted only while used";
  ASSERT_EQ(docker({"create", "--name", "tu", "-v", "tv:/t", "-v", "bv:/b", "busybox", "sh", "-c",
                    "df -k /t | tail -n 1; ls /t; echo via-volume > /b/f"}).status, 0);
  EXPECT_FALSE(mounted()) << "created is not started: nothing mounted yet";
  auto r = docker({"start", "-a", "tu"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("2048"), std::string::npos) << r.out;
  EXPECT_EQ(berth::test::read_text(host / "f"), "via-volume\n");
  EXPECT_FALSE(mounted()) << "its only user stopped: the tmpfs goes at the stop, not at the removal";
  ASSERT_EQ(docker({"rm", "tu"}).status, 0);
  EXPECT_FALSE(mounted());
}

// The tmpfs is there while any running container uses it, and is filled from the image at the
// mount (over /etc: the image's files are in it).
TEST_P(Volumes, TmpfsVolumeIsUnmountedWhenItsLastRunningUserStops) {
  ASSERT_EQ(docker({"volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=4m", "tv2"}).status, 0);
  std::string mp = d.path("data/volumes/tv2/_data");
  auto mounted = [&] { return berth::test::read_text("/proc/self/mountinfo").find(" " + mp + " ") != std::string::npos; };
  auto first = docker({"run", "-d", "--name", "a1", "-v", "tv2:/etc", "busybox", "sleep", "600"});
  ASSERT_EQ(first.status, 0) << first.err;
  ASSERT_EQ(docker({"run", "-d", "--name", "b1", "-v", "tv2:/etc", "busybox", "sleep", "600"}).status, 0);
  EXPECT_TRUE(mounted());
  EXPECT_TRUE(std::filesystem::exists(mp + "/passwd")) << "filled from the image's /etc at the mount";
  ASSERT_EQ(docker({"stop", "-t", "0", "a1"}).status, 0);
  EXPECT_TRUE(mounted()) << "b still runs with it";
  auto rm = docker({"volume", "rm", "tv2"});
  EXPECT_NE(rm.status, 0);
  EXPECT_NE(rm.err.find("volume is in use"), std::string::npos) << rm.err;
  ASSERT_EQ(docker({"stop", "-t", "0", "b1"}).status, 0);
  EXPECT_FALSE(mounted()) << "no running user left";
  ASSERT_EQ(docker({"start", "a1"}).status, 0);
  EXPECT_TRUE(mounted()) << "a start mounts it again";
  ASSERT_EQ(docker({"rm", "-f", "a1", "b1"}).status, 0);
  EXPECT_FALSE(mounted());
  EXPECT_EQ(docker({"volume", "rm", "tv2"}).status, 0);
}

// berthd SIGKILLed: at its next start the volume records follow the containers found. A
// container that died while berthd was down releases its tmpfs; records a crash left behind
// (a user that no longer exists, a mounter that no longer runs, its tmpfs still mounted) go.
TEST_P(Volumes, VolumeRecordsAreReconciledAfterACrash) {
  ASSERT_EQ(docker({"volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=1m", "crash1"}).status, 0);
  ASSERT_EQ(docker({"volume", "create", "-o", "type=tmpfs", "-o", "device=tmpfs", "-o", "o=size=1m", "crash2"}).status, 0);
  std::string mp1 = d.path("data/volumes/crash1/_data"), mp2 = d.path("data/volumes/crash2/_data");
  auto mounted = [&](const std::string& mp) {
    return berth::test::read_text("/proc/self/mountinfo").find(" " + mp + " ") != std::string::npos;
  };
  ASSERT_EQ(docker({"run", "-d", "--name", "dies", "-v", "crash1:/v", "busybox", "sleep", "600"}).status, 0);
  ASSERT_EQ(docker({"create", "--name", "stopped", "busybox", "true"}).status, 0);
  std::string stopped_id = out({"inspect", "-f", "{{.Id}}", "stopped"});
  stopped_id.pop_back();
  auto pid = std::stoi(out({"inspect", "-f", "{{.State.Pid}}", "dies"}));
  ASSERT_TRUE(mounted(mp1));
  d.kill9();
  ASSERT_EQ(kill(pid, SIGKILL), 0);  // its container dies while berthd is down
  {
    // What a crash in the middle of a stop or a removal leaves: records berthd did not get to drop.
    auto store = berth::engine::VolumeStore::open(d.path("data/volumes/metadata.db"));
    ASSERT_TRUE(store) << store.error().what();
    ASSERT_TRUE((*store)->add_user("crash2", std::string(64, 'f')));  // a container that is gone
    ASSERT_TRUE((*store)->add_mounter("crash2", stopped_id));         // one that does not run
  }
  ASSERT_EQ(mount("tmpfs", mp2.c_str(), "tmpfs", 0, nullptr), 0) << strerror(errno);
  ASSERT_TRUE(d.start()) << d.log();
  // Its shim may still be recording the exit when berthd comes back: then the monitor sees it go.
  EXPECT_TRUE(berth::test::wait_until([&] { return !mounted(mp1); }, std::chrono::seconds(10)))
      << "its container died while berthd was down";
  EXPECT_FALSE(mounted(mp2)) << "mounted for a container that does not run";
  if (mounted(mp2)) umount2(mp2.c_str(), MNT_DETACH);
  EXPECT_EQ(out({"inspect", "-f", "{{.State.Status}}", "dies"}), "exited\n");
  auto rm = docker({"volume", "rm", "crash2"});
  EXPECT_EQ(rm.status, 0) << "no container uses it any more: " << rm.err;
  ASSERT_EQ(docker({"rm", "dies", "stopped"}).status, 0);
  EXPECT_EQ(docker({"volume", "rm", "crash1"}).status, 0);
}

TEST_P(Volumes, BadInputGetsDockerdsMessageAndCreatesNothing) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  std::vector<Case> cases = {
      {{"-v", ":/x"}, "invalid volume specification: ':/x'"},
      {{"-v", "vol:rel"}, "invalid mount path: 'rel' mount path must be absolute"},
      {{"-v", "x$y:/data"}, "create x$y: \"x$y\" includes invalid characters for a local volume name"},
      {{"-v", "vol:/data:bogus"}, "invalid mode: bogus"},
      {{"-v", "vol:/"}, "destination can't be '/'"},
      {{"--mount", "type=bind,source=/nonexistent-berth,target=/x"},
       "invalid mount config for type \"bind\": bind source path does not exist: /nonexistent-berth"},
      {{"--tmpfs", "/t:bogus"}, "invalid tmpfs option"},
      {{"--mount", "type=volume,target=/x,readonly"}, "must not set ReadOnly mode when using anonymous volumes"},
  };
  // The clients check ":/x" themselves: 28.x refuses it, 20.10 sends it as a VOLUME path.
  cases[0].message = docker28() ? "invalid spec: :/x: empty section between colons"
                                : "invalid mount config for type \"volume\": invalid mount path: ':/x' mount path must be absolute";
  for (auto& c : cases) {
    std::vector<std::string> args = {"run", "--rm"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    args.insert(args.end(), {"busybox", "true"});
    auto r = docker(args);
    EXPECT_NE(r.status, 0) << c.args[1];
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args[1] << ": " << r.err;
  }
  // The client itself refuses an unknown --mount key.
  auto key = docker({"run", "--rm", "--mount", "type=volume,target=/x,bogus=1", "busybox", "true"});
  EXPECT_NE(key.status, 0);
  EXPECT_NE(key.err.find("bogus"), std::string::npos) << key.err;
  // What the API itself answers to a -v without a source.
  auto raw = raw_request(d.socket_path(), "POST", "/v1.41/containers/create",
                         R"({"Image":"busybox","Cmd":["true"],"HostConfig":{"Binds":[":/x"]}})");
  EXPECT_EQ(raw.status, 400) << raw.body;
  EXPECT_NE(raw.body.find("invalid volume specification: ':/x'"), std::string::npos) << raw.body;
  EXPECT_EQ(docker({"ps", "-aq"}).out, "") << "a refused create left a container";
  EXPECT_EQ(docker({"volume", "ls", "-q"}).out, "") << "a refused create left a volume";
}

TEST_P(Volumes, HostilePathsStayInsideTheContainer) {
  berth::test::TempDir host("berth-vol-escape");
  // Images with absolute symlinks: to a host directory (made a VOLUME), and to /etc.
  ASSERT_EQ(docker({"run", "--name", "evil-src", "busybox", "sh", "-c",
                    "ln -s " + host.path() + " /evil && ln -s /etc /etclink"}).status, 0);
  ASSERT_EQ(docker({"commit", "evil-src", "linkimg"}).status, 0);
  ASSERT_EQ(docker({"commit", "--change", "VOLUME /evil", "evil-src", "evilimg"}).status, 0);
  auto w = docker({"run", "--rm", "-v", "ev:/etclink", "linkimg", "sh", "-c",
                   "echo pwned > /etclink/berth-escape; ls /etclink/passwd"});
  EXPECT_EQ(w.status, 0) << w.err;  // mounted on the container's /etc, filled from the image's
  EXPECT_FALSE(std::filesystem::exists("/etc/berth-escape")) << "a mount through a symlink wrote to the host's /etc";
  std::filesystem::remove("/etc/berth-escape");
  // The VOLUME through a symlink is refused (the runtime will not mount on a dangling link)
  // or stays inside: either way nothing reaches the host directory.
  docker({"run", "--rm", "evilimg", "sh", "-c", "echo pwned > /evil/pwned"});
  EXPECT_FALSE(std::filesystem::exists(host / "pwned")) << "VOLUME through a symlink wrote to the host";
  EXPECT_FALSE(std::filesystem::exists(d.path("data/volumes/pwned")));
  auto up = docker({"run", "--rm", "-v", "/tmp/../etc:/d", "busybox", "true"});
  EXPECT_NE(up.status, 0);
  EXPECT_NE(up.err.find("bind source path must not contain '..'"), std::string::npos) << up.err;
  auto dest = raw_request(d.socket_path(), "POST", "/v1.41/containers/create",
                          R"({"Image":"busybox","Cmd":["true"],"HostConfig":{"Binds":["v:/a/../../etc"]}})");
  EXPECT_EQ(dest.status, 400) << dest.body;
  EXPECT_NE(dest.body.find("mount path must not contain '..'"), std::string::npos) << dest.body;
  // A volume name with "..": clients make "../x" absolute, the API gets it as sent.
  auto raw = raw_request(d.socket_path(), "POST", "/v1.41/containers/create",
                         R"({"Image":"busybox","Cmd":["true"],"HostConfig":{"Binds":["../x:/d"]}})");
  EXPECT_EQ(raw.status, 400) << raw.body;
  EXPECT_NE(raw.body.find("includes invalid characters for a local volume name"), std::string::npos) << raw.body;
  EXPECT_FALSE(std::filesystem::exists(d.path("data/x")));
  docker({"rm", "-f", "evil-src"});
  docker({"rmi", "linkimg", "evilimg"});
}

INSTANTIATE_TEST_SUITE_P(Clients, Volumes, ::testing::Values(kDocker28, kDocker20),
                         [](const auto& info) { return info.param == kDocker28 ? "docker28" : "docker20"; });

// berth's own verbs: volume create/ls/inspect/rm/prune, run -v/--mount/--tmpfs/--volumes-from, rm -v.
TEST(BerthVolumeCli, VerbsAndRunFlags) {
  Berthd d;
  ASSERT_TRUE(d.ready()) << d.log();
  auto berth = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"env", "BERTH_HOST=" + d.host(), berth::test::bin("berth")});
    return berth::test::run(args, "", std::chrono::seconds(120));
  };
  ASSERT_EQ(berth({"load", "-i", busybox_archive()}).status, 0);
  auto c = berth({"volume", "create", "--label", "team=a", "bv"});
  ASSERT_EQ(c.status, 0) << c.err;
  EXPECT_EQ(c.out, "bv\n");
  EXPECT_EQ(berth({"volume", "ls"}).out, "DRIVER    VOLUME NAME\nlocal     bv\n");
  EXPECT_EQ(berth({"volume", "inspect", "bv", "-f", "{{.Labels.team}} {{.Driver}}"}).out, "a local\n");
  auto w = berth({"run", "--rm", "-v", "bv:/data", "--tmpfs", "/run:size=1m", "busybox", "sh", "-c",
                  "echo one > /data/f; df -k /run | tail -n 1"});
  ASSERT_EQ(w.status, 0) << w.err;
  EXPECT_NE(w.out.find("1024"), std::string::npos) << w.out;
  ASSERT_EQ(berth({"create", "--name", "donor", "--mount", "type=volume,source=bv,target=/data", "-v", "/anon",
                   "busybox", "true"}).status, 0);
  auto r = berth({"run", "--rm", "--volumes-from", "donor:ro", "busybox", "sh", "-c", "cat /data/f; touch /data/g"});
  EXPECT_EQ(r.out, "one\n");
  EXPECT_NE(r.status, 0);
  auto busy = berth({"volume", "rm", "bv"});
  EXPECT_NE(busy.status, 0);
  EXPECT_NE(busy.err.find("remove bv: volume is in use - ["), std::string::npos) << busy.err;
  auto bad = berth({"run", "--rm", "--mount", "type=volume,target=/x,bogus=1", "busybox", "true"});
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("unexpected key 'bogus' in 'bogus=1'"), std::string::npos) << bad.err;
  ASSERT_EQ(berth({"rm", "-v", "donor"}).status, 0);
  EXPECT_EQ(berth({"volume", "ls", "-q"}).out, "bv\n") << "rm -v takes the anonymous volume, keeps the named one";
  auto p = berth({"volume", "prune", "-af"});
  ASSERT_EQ(p.status, 0) << p.err;
  EXPECT_NE(p.out.find("Deleted Volumes:\nbv\n"), std::string::npos) << p.out;
  EXPECT_EQ(berth({"volume", "ls", "-q"}).out, "");
}
