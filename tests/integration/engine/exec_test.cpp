// docker exec through a private berthd, with the stock docker clients (28.x and 20.10) and the
// berth CLI: exit codes, env, users, working dir, stdin, an interactive TTY with a resize, the
// errors for paused and stopped containers, the exec'd process's namespaces, cgroup, caps,
// seccomp and fds; and health checks (healthy, unhealthy after the retries, a hanging probe
// killed at its timeout).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "api/berthd_fixture.hpp"
#include "api/busybox_archive.hpp"
#include "engine/pty_process.hpp"
#include "engine/traces.hpp"

using namespace berth::api::test;
using berth::engine::test::process_with;
using berth::engine::test::PtyProcess;
using berth::test::wait_until;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

using berth::test::first_line;

class Exec : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(berth::test::have_program(GetParam())) << GetParam();
    ASSERT_FALSE(busybox_archive().empty());
    ASSERT_TRUE(d.ready()) << d.log();
    auto r = d.docker({"load", "-i", busybox_archive()});
    ASSERT_EQ(r.status, 0) << r.err;
  }
  void TearDown() override {
    auto ps = d.docker({"ps", "-aq", "--no-trunc"});
    std::istringstream ss(ps.out);
    for (std::string id; std::getline(ss, id);)
      if (!id.empty()) {
        d.docker({"rm", "-f", id});
        EXPECT_FALSE(process_with(id)) << "a process of " << id << " is left";
      }
  }
  berth::test::CmdResult docker(std::vector<std::string> args, const std::string& input = "") {
    return d.docker(std::move(args), GetParam(), input);
  }
  std::vector<std::string> docker_argv(std::vector<std::string> args) {
    args.insert(args.begin(), {GetParam(), "--config", d.path("docker-config"), "-H", d.host()});
    return args;
  }
  std::string run_d(std::vector<std::string> args) {
    args.insert(args.begin(), {"run", "-d"});
    auto r = docker(args);
    EXPECT_EQ(r.status, 0) << r.err << d.log();
    return first_line(r.out);
  }
  json inspect(const std::string& what) {
    auto r = raw_request(d.socket_path(), "GET", what);
    return json::parse(r.body, nullptr, false);
  }
  Berthd d;
};

}  // namespace

TEST_P(Exec, ExitCodeEnvUserWorkdirStdin) {
  std::string id = run_d({"--name", "ex", "-e", "FROM_RUN=yes", "busybox", "sleep", "1000"});
  auto code = docker({"exec", "ex", "sh", "-c", "echo out; echo err >&2; exit 7"});
  EXPECT_EQ(code.status, 7) << code.err << d.log();
  EXPECT_EQ(code.out, "out\n");
  EXPECT_EQ(code.err, "err\n");
  EXPECT_EQ(docker({"exec", "ex", "true"}).status, 0);
  // The container's environment is inherited; -e adds and overrides.
  auto env = docker({"exec", "-e", "X=1", "-e", "FROM_RUN=over", "ex", "sh", "-c", "echo $X $FROM_RUN $PATH"});
  EXPECT_EQ(env.out, "1 over /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n") << env.err;
  EXPECT_EQ(docker({"exec", "ex", "sh", "-c", "echo $FROM_RUN"}).out, "yes\n");
  berth::test::write_text(d.path("env.list"), "# comment\nFILE_VAR=from file\n");
  EXPECT_EQ(docker({"exec", "--env-file", d.path("env.list"), "ex", "sh", "-c", "echo $FILE_VAR"}).out, "from file\n");
  // -u by name (the image's /etc/passwd) and by uid:gid.
  auto nobody = docker({"exec", "-u", "nobody", "ex", "id"});
  EXPECT_TRUE(nobody.out.starts_with("uid=65534(nobody) gid=65534(")) << nobody.out << nobody.err;
  EXPECT_NE(nobody.out.find(" groups=65534("), std::string::npos) << nobody.out;
  EXPECT_EQ(docker({"exec", "-u", "1234:4321", "ex", "sh", "-c", "id -u; id -g"}).out, "1234\n4321\n");
  auto bad_user = docker({"exec", "-u", "nosuchuser", "ex", "true"});
  EXPECT_NE(bad_user.status, 0);
  EXPECT_NE((bad_user.out + bad_user.err).find("nosuchuser"), std::string::npos) << bad_user.out << bad_user.err;
  EXPECT_EQ(docker({"exec", "-w", "/tmp", "ex", "pwd"}).out, "/tmp\n");
  // stdin from a pipe, closed at its end.
  auto cat = docker({"exec", "-i", "ex", "cat"}, "piped\ninput");
  EXPECT_EQ(cat.status, 0) << cat.err;
  EXPECT_EQ(cat.out, "piped\ninput");
  // A command that does not exist: dockerd's 126 and the runtime's words.
  auto missing = docker({"exec", "ex", "nosuchcmd"});
  EXPECT_EQ(missing.status, 126) << missing.out << missing.err;
  EXPECT_NE((missing.out + missing.err).find("executable file not found"), std::string::npos) << missing.out;
}

TEST_P(Exec, DetachedExecAndInspect) {
  std::string id = run_d({"busybox", "sleep", "1000"});
  auto created = raw_request(d.socket_path(), "POST", "/containers/" + id + "/exec",
                             R"({"Cmd":["sh","-c","sleep 0.3; exit 3"],"AttachStdout":true})");
  ASSERT_EQ(created.status, 201) << created.body;
  std::string eid = json::parse(created.body)["Id"];
  auto before = inspect("/exec/" + eid + "/json");
  EXPECT_EQ(before["Running"], false);
  EXPECT_TRUE(before["ExitCode"].is_null());
  EXPECT_EQ(before["ContainerID"], id);
  EXPECT_EQ(before["ProcessConfig"]["entrypoint"], "sh");
  EXPECT_EQ(before["OpenStdout"], true);
  auto started = raw_request(d.socket_path(), "POST", "/exec/" + eid + "/start", R"({"Detach":true})");
  ASSERT_EQ(started.status, 200) << started.body;
  auto during = inspect("/exec/" + eid + "/json");
  EXPECT_EQ(during["Running"], true);
  EXPECT_GT(during["Pid"].get<int>(), 0);
  ASSERT_TRUE(wait_until([&] { return inspect("/exec/" + eid + "/json")["Running"] == false; }, 10s));
  EXPECT_EQ(inspect("/exec/" + eid + "/json")["ExitCode"], 3);
  // Started once only.
  auto again = raw_request(d.socket_path(), "POST", "/exec/" + eid + "/start", R"({"Detach":true})");
  EXPECT_EQ(again.status, 409) << again.body;
  // docker exec -d returns at once.
  EXPECT_EQ(docker({"exec", "-d", id, "sh", "-c", "sleep 1000"}).status, 0);
  EXPECT_NE(docker({"exec", id, "ps"}).out.find("sleep 1000"), std::string::npos);
}

TEST_P(Exec, InteractiveTtyWithResize) {
  std::string id = run_d({"--name", "tty", "busybox", "sleep", "1000"});
  PtyProcess p(docker_argv({"exec", "-it", "tty", "sh"}), 31, 101);
  ASSERT_TRUE(p.expect("# ")) << p.output() << d.log();
  p.type("stty size\r");
  ASSERT_TRUE(p.expect("31 101")) << p.output();
  p.resize(40, 120);
  EXPECT_TRUE(wait_until(
      [&] {
        size_t from = p.output().size();
        p.type("stty size\r");
        return p.expect("40 120", 1s, from);
      },
      15s, 100ms))
      << p.output();
  p.type("echo $((6*7)); exit 4\r");
  EXPECT_EQ(p.wait(), 4) << p.output();
  EXPECT_NE(p.output().find("42"), std::string::npos);
}

TEST_P(Exec, PausedStoppedAndBadInput) {
  std::string id = run_d({"--name", "ps1", "busybox", "sleep", "1000"});
  ASSERT_EQ(docker({"pause", "ps1"}).status, 0);
  auto paused = docker({"exec", "ps1", "true"});
  EXPECT_NE(paused.status, 0);
  EXPECT_NE(paused.err.find("Container ps1 is paused, unpause the container before exec"), std::string::npos)
      << paused.err;
  ASSERT_EQ(docker({"unpause", "ps1"}).status, 0);
  ASSERT_EQ(docker({"kill", "ps1"}).status, 0);
  docker({"wait", "ps1"});  // kill only signals: the exit comes after
  auto stopped = docker({"exec", "ps1", "true"});
  EXPECT_NE(stopped.status, 0);
  EXPECT_NE(stopped.err.find("Container " + id + " is not running"), std::string::npos) << stopped.err;

  auto unknown = raw_request(d.socket_path(), "GET", "/exec/nope/json");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.body.find("No such exec instance: nope"), std::string::npos) << unknown.body;
  EXPECT_EQ(raw_request(d.socket_path(), "POST", "/exec/nope/start", "{}").status, 404);
  EXPECT_EQ(raw_request(d.socket_path(), "POST", "/exec/nope/resize?h=1&w=1").status, 404);
  std::string live = run_d({"busybox", "sleep", "1000"});
  auto empty = raw_request(d.socket_path(), "POST", "/containers/" + live + "/exec", R"({"Cmd":[]})");
  EXPECT_EQ(empty.status, 400);
  EXPECT_NE(empty.body.find("No exec command specified"), std::string::npos) << empty.body;
  EXPECT_EQ(raw_request(d.socket_path(), "POST", "/containers/nosuch/exec", R"({"Cmd":["true"]})").status, 404);
}

TEST_P(Exec, ProcessJoinsTheContainer) {
  std::string id = run_d({"busybox", "sleep", "1000"});
  // Namespaces and cgroup: the exec'd shell sees the same links as the container's init.
  auto ns = docker({"exec", id, "sh", "-c",
                    "for n in mnt uts ipc net pid cgroup; do [ $(readlink /proc/self/ns/$n) = $(readlink /proc/1/ns/$n) ] "
                    "|| echo differs $n; done; cmp /proc/self/cgroup /proc/1/cgroup && echo same-cgroup"});
  EXPECT_EQ(ns.out, "same-cgroup\n") << ns.err;
  auto status = [&](std::vector<std::string> extra, const std::string& pid) {
    std::vector<std::string> args = {"exec"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {id, "grep", "-E", "^(CapEff|Seccomp|NoNewPrivs):", "/proc/" + pid + "/status"});
    return docker(args).out;
  };
  // The same capabilities, seccomp mode and no_new_privs as the init (berthd gives containers no
  // seccomp profile of its own yet: the mode is the init's, whatever it is).
  std::string init = status({}, "1"), mine = status({}, "self");
  EXPECT_EQ(mine, init);
  EXPECT_NE(mine.find("CapEff:"), std::string::npos) << mine;
  EXPECT_NE(mine.find("Seccomp:"), std::string::npos) << mine;
  std::string priv = status({"--privileged"}, "self");
  auto line = [](const std::string& s, const std::string& key) { auto at = s.find(key); return s.substr(at, s.find('\n', at) - at); };
  EXPECT_EQ(line(priv, "Seccomp:"), line(init, "Seccomp:"));
  EXPECT_NE(line(priv, "CapEff:"), line(init, "CapEff:")) << "privileged has every capability";
  // Every capability this host can grant: our own bounding set.
  std::string host_bnd = line(berth::test::read_text("/proc/self/status"), "CapBnd:");
  EXPECT_EQ(line(priv, "CapEff:").substr(7), host_bnd.substr(7)) << priv;
  // No fd of berthd or the shim reaches it: ls shows 0 1 2 and the directory it reads.
  EXPECT_EQ(docker({"exec", id, "ls", "/proc/self/fd"}).out, "0\n1\n2\n3\n");
  EXPECT_EQ(docker({"exec", "-i", id, "ls", "/proc/self/fd"}, "").out, "0\n1\n2\n3\n");
  // Its host pid is in the container's cgroup.
  auto created = raw_request(d.socket_path(), "POST", "/containers/" + id + "/exec", R"({"Cmd":["sleep","1000"]})");
  std::string eid = json::parse(created.body)["Id"];
  ASSERT_EQ(raw_request(d.socket_path(), "POST", "/exec/" + eid + "/start", R"({"Detach":true})").status, 200);
  int pid = inspect("/exec/" + eid + "/json")["Pid"];
  ASSERT_GT(pid, 0);
  std::string cg = berth::test::read_text("/proc/" + std::to_string(pid) + "/cgroup");
  EXPECT_NE(cg.find(id), std::string::npos) << cg;
  int init_pid = std::stoi(first_line(docker({"inspect", "-f", "{{.State.Pid}}", id}).out));
  EXPECT_EQ(berth::test::read_text("/proc/" + std::to_string(init_pid) + "/cgroup"), cg);
}

TEST_P(Exec, HealthChecks) {
  std::string good = run_d({"--health-cmd", "true", "--health-interval", "200ms", "busybox", "sleep", "1000"});
  std::string bad = run_d({"--health-cmd", "echo failing; exit 1", "--health-interval", "200ms", "--health-retries", "2",
                           "busybox", "sleep", "1000"});
  std::string hung = run_d({"--health-cmd", "sleep 1000", "--health-interval", "200ms", "--health-timeout", "300ms",
                            "--health-retries", "1", "busybox", "sleep", "1000"});
  auto status = [&](const std::string& id) { return first_line(docker({"inspect", "-f", "{{.State.Health.Status}}", id}).out); };
  // Before its first probe (one interval after start) a container is "starting": with 200 ms that
  // moment may already be gone under load, so a container with a long interval shows it.
  std::string waiting = run_d({"--health-cmd", "true", "--health-interval", "1h", "busybox", "sleep", "1000"});
  EXPECT_EQ(status(waiting), "starting");
  EXPECT_TRUE(wait_until([&] { return status(good) == "healthy"; }, 15s)) << d.log();
  EXPECT_TRUE(wait_until([&] { return status(bad) == "unhealthy"; }, 15s));
  EXPECT_TRUE(wait_until([&] { return status(hung) == "unhealthy"; }, 15s));
  auto h = json::parse(docker({"inspect", "-f", "{{json .State.Health}}", bad}).out);
  EXPECT_GE(h["FailingStreak"].get<int>(), 2);
  ASSERT_FALSE(h["Log"].empty());
  EXPECT_EQ(h["Log"].back()["ExitCode"], 1);
  EXPECT_EQ(h["Log"].back()["Output"], "failing\n");
  EXPECT_LE(h["Log"].size(), 5u);
  auto hh = json::parse(docker({"inspect", "-f", "{{json .State.Health}}", hung}).out);
  EXPECT_EQ(hh["Log"].back()["ExitCode"], -1);
  EXPECT_EQ(hh["Log"].back()["Output"], "Health check exceeded timeout (300ms)");
  // The killed probes leave nothing behind in the container: once four probes have timed out, the
  // only processes whose command line is exactly "sleep 1000" are the init's, the probe running now
  // and at most one being killed as the next starts. Four leaked probes would make five.
  EXPECT_TRUE(wait_until([&] {
    return json::parse(docker({"inspect", "-f", "{{json .State.Health}}", hung}).out)["FailingStreak"].get<int>() >= 4;
  }, 15s));
  auto count = docker({"exec", hung, "sh", "-c", "ps -o args | grep -cx 'sleep 1000'"});
  EXPECT_LE(std::stoi(count.out), 3) << docker({"exec", hung, "ps"}).out;
  auto ps = docker({"ps", "--format", "{{.ID}} {{.Status}}"});
  EXPECT_NE(ps.out.find(good.substr(0, 12) + " Up"), std::string::npos) << ps.out;
  EXPECT_NE(ps.out.find("(healthy)"), std::string::npos) << ps.out;
  EXPECT_NE(ps.out.find("(unhealthy)"), std::string::npos) << ps.out;
  auto ev = docker({"events", "--since", "0", "--until", std::to_string(time(nullptr) + 1), "--filter", "container=" + good});
  EXPECT_NE(ev.out.find("health_status: healthy"), std::string::npos) << ev.out;
  // --no-healthcheck: no Health at all.
  std::string none = run_d({"--no-healthcheck", "busybox", "sleep", "1000"});
  EXPECT_EQ(first_line(docker({"inspect", "-f", "{{.State.Health}}", none}).out), "<nil>");
}

INSTANTIATE_TEST_SUITE_P(Clients, Exec, ::testing::Values(kDocker28, kDocker20),
                         [](const auto& info) { return info.param == kDocker28 ? "docker28" : "docker20"; });

TEST(ExecBerthCli, ExecVerb) {
  Berthd d;
  ASSERT_TRUE(d.ready()) << d.log();
  ASSERT_EQ(d.docker({"load", "-i", busybox_archive()}).status, 0);
  auto berth = [&](std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {berth::test::bin("berth"), "-H", d.host()});
    return berth::test::run(args, input, 60s);
  };
  auto run = berth({"run", "-d", "--name", "bx", "-e", "A=1", "busybox", "sleep", "1000"});
  ASSERT_EQ(run.status, 0) << run.err;
  auto r = berth({"exec", "-e", "B=2", "-w", "/tmp", "-u", "nobody", "bx", "sh", "-c", "echo $A $B $(pwd) $(id -u); exit 9"});
  EXPECT_EQ(r.status, 9) << r.err << d.log();
  EXPECT_EQ(r.out, "1 2 /tmp 65534\n");
  EXPECT_EQ(berth({"exec", "-i", "bx", "cat"}, "in").out, "in");
  EXPECT_EQ(berth({"exec", "bx", "nosuchcmd"}).status, 126);
  {
    PtyProcess p({berth::test::bin("berth"), "-H", d.host(), "exec", "-it", "bx", "sh"}, 33, 99);
    ASSERT_TRUE(p.expect("# ")) << p.output();
    p.type("stty size; exit 2\r");
    EXPECT_EQ(p.wait(), 2) << p.output();
    EXPECT_NE(p.output().find("33 99"), std::string::npos) << p.output();
  }
  auto h = berth({"run", "-d", "--health-cmd", "true", "--health-interval", "100ms", "busybox", "sleep", "1000"});
  ASSERT_EQ(h.status, 0) << h.err;
  std::string hid = first_line(h.out);
  EXPECT_TRUE(wait_until([&] { return berth({"ps"}).out.find("(healthy)") != std::string::npos; }, 15s)) << berth({"ps"}).out;
  EXPECT_NE(berth({"run", "--no-healthcheck", "--health-cmd", "x", "busybox", "true"}).status, 0);
  berth({"rm", "-f", "bx", hid});
  EXPECT_FALSE(process_with(hid));
}
