// Interactive containers through a private berthd: stdin, TTY, attach, resize, detach keys, with
// the stock docker clients (28.x and 20.10) and the berth CLI. TTY sessions run the client in a
// pseudo-terminal of the test's own (forkpty), typed into and read like a person would.
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "api/berthd_fixture.hpp"
#include "api/busybox_archive.hpp"
#include "engine/pty_process.hpp"
#include "engine/attach_protocol.hpp"

using namespace berth::api::test;
using berth::test::wait_until;
using berth::engine::test::PtyProcess;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

using berth::test::first_line;

using berth::test::thread_count;

berth::UniqueFd unix_connect(const std::string& path) {
  berth::UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return berth::UniqueFd();
  return fd;
}

void send_str(int fd, const std::string& s) { (void)!send(fd, s.data(), s.size(), MSG_NOSIGNAL); }

// Reads until EOF or timeout.
std::string read_until_eof(int fd, std::chrono::milliseconds timeout) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

class Attach : public ::testing::TestWithParam<std::string> {
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
      if (!id.empty()) d.docker({"rm", "-f", id});
  }
  berth::test::CmdResult docker(std::vector<std::string> args, const std::string& input = "") {
    return d.docker(std::move(args), GetParam(), input);
  }
  std::vector<std::string> docker_argv(std::vector<std::string> args) {
    args.insert(args.begin(), {GetParam(), "--config", d.path("docker-config"), "-H", d.host()});
    return args;
  }
  std::vector<std::string> berth_argv(std::vector<std::string> args) {
    args.insert(args.begin(), {berth::test::bin("berth"), "-H", d.host()});
    return args;
  }
  bool running(const std::string& name) {
    return first_line(docker({"inspect", "-f", "{{.State.Running}}", name}).out) == "true";
  }
  Berthd d;
};

}  // namespace

TEST_P(Attach, StdinFromAPipeEchoesAndEndsAtEof) {
  std::string input = "hello\nworld\nno newline at the end";
  auto r = docker({"run", "-i", "busybox", "cat"}, input);
  EXPECT_EQ(r.status, 0) << r.err << d.log();
  EXPECT_EQ(r.out, input);
  auto rm = docker({"run", "--rm", "-i", "busybox", "sh", "-c", "wc -l; echo err >&2; exit 5"}, "a\nb\nc\n");
  EXPECT_EQ(rm.status, 5) << rm.err;
  EXPECT_EQ(rm.out.find_first_not_of(' '), rm.out.find('3'));
  EXPECT_NE(rm.err.find("err"), std::string::npos);
}

TEST_P(Attach, OutputWrittenBeforeTheAttachIsNeverLost) {
  int n = GetParam() == kDocker28 ? 20 : 10;
  for (int i = 0; i < n; ++i) {
    std::vector<std::string> args = {"run", "busybox", "echo", "first"};
    if (i % 2) args.insert(args.begin() + 1, "--rm");
    auto r = docker(args);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "first\n") << "run " << i;
  }
}

TEST_P(Attach, TtyShellRunsAndReturnsItsExitCode) {
  PtyProcess p(docker_argv({"run", "--rm", "-it", "busybox", "sh"}));
  ASSERT_TRUE(p.expect("# ")) << p.output() << d.log();
  p.type("echo $((6*7)); exit 3\r");
  EXPECT_EQ(p.wait(), 3) << p.output();
  EXPECT_NE(p.output().find("42"), std::string::npos) << p.output();
}

TEST_P(Attach, TtySizeFollowsTheTerminal) {
  PtyProcess p(docker_argv({"run", "--rm", "-it", "busybox", "sh"}), 31, 101);
  ASSERT_TRUE(p.expect("# ")) << p.output();
  // The first size comes with the create (ConsoleSize) or the client's first resize.
  EXPECT_TRUE(wait_until(
      [&] {
        p.type("stty size\r");
        return p.expect("31 101", 500ms);
      },
      15s, 100ms))
      << p.output();
  size_t mark = p.output().size();
  p.resize(42, 123);
  // The client's resize is asynchronous: ask until the shell sees the new size.
  bool seen = wait_until(
      [&] {
        p.type("stty size\r");
        return p.expect("42 123", 500ms, mark);
      },
      15s, 100ms);
  EXPECT_TRUE(seen) << p.output();
  p.type("exit 0\r");
  EXPECT_EQ(p.wait(), 0) << p.output();
}

TEST_P(Attach, DetachKeysLeaveItRunningAndAttachComesBack) {
  PtyProcess p(docker_argv({"run", "-it", "--name", "det", "busybox", "sh"}));
  ASSERT_TRUE(p.expect("# ")) << p.output();
  p.type("export MARK=$((40+2))\r");
  p.type("\x10\x11");
  EXPECT_EQ(p.wait(20s), 0) << p.output();
  EXPECT_TRUE(running("det"));

  PtyProcess a(docker_argv({"attach", "det"}));
  // attach shows nothing until the shell prints: ask it something.
  bool back = wait_until(
      [&] {
        a.type("echo got$MARK\r");
        return a.expect("got42", 500ms);
      },
      15s, 100ms);
  EXPECT_TRUE(back) << a.output() << d.log();
  // A custom sequence, docker's format.
  PtyProcess b(docker_argv({"attach", "--detach-keys", "ctrl-x,y", "det"}));
  EXPECT_TRUE(wait_until(
      [&] {
        b.type("echo again$MARK\r");
        return b.expect("again42", 500ms);
      },
      15s, 100ms))
      << b.output();
  b.type("\x18y");
  // docker attach reports the detach as its error (docker run -it does not).
  EXPECT_EQ(b.wait(20s), 1) << b.output();
  EXPECT_NE(b.output().find("read escape sequence"), std::string::npos) << b.output();
  EXPECT_TRUE(running("det"));
  a.type("exit 4\r");
  EXPECT_EQ(a.wait(20s), 4) << a.output();
  EXPECT_TRUE(wait_until([&] { return !running("det"); }, 10s));
  EXPECT_EQ(first_line(docker({"inspect", "-f", "{{.State.ExitCode}}", "det"}).out), "4");
}

TEST_P(Attach, AttachToARunningContainerGetsNewOutputLive) {
  auto r = docker({"run", "-d", "busybox", "sh", "-c",
                   "i=0; while true; do echo tick$i; echo tock$i >&2; i=$((i+1)); sleep 0.2; done"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string id = first_line(r.out);
  auto a = berth::test::run(docker_argv({"attach", "--no-stdin", "--sig-proxy=false", id}), "", 3s);
  // Killed by the harness after 3 s: what it printed meanwhile came live, and only new lines.
  EXPECT_NE(a.out.find("tick"), std::string::npos) << a.out << a.err;
  EXPECT_NE(a.err.find("tock"), std::string::npos) << a.err;
  EXPECT_EQ(a.out.find("tick0\n"), std::string::npos) << a.out;
  EXPECT_TRUE(running(id));
}

INSTANTIATE_TEST_SUITE_P(Clients, Attach, ::testing::Values(kDocker28, kDocker20),
                         [](const auto& info) { return info.param == kDocker28 ? "docker28" : "docker20"; });

class AttachBerth : public Attach {};

TEST_P(AttachBerth, BerthCliRunStartAttach) {
  auto cat = berth::test::run(berth_argv({"run", "--rm", "-i", "busybox", "cat"}), "piped\nin", 60s);
  EXPECT_EQ(cat.status, 0) << cat.err << d.log();
  EXPECT_EQ(cat.out, "piped\nin");
  auto both = berth::test::run(berth_argv({"run", "busybox", "sh", "-c", "echo out; echo err >&2; exit 6"}), "", 60s);
  EXPECT_EQ(both.status, 6);
  EXPECT_EQ(both.out, "out\n");
  EXPECT_EQ(both.err, "err\n");
  EXPECT_EQ(berth::test::run(berth_argv({"run", "--rm", "busybox", "nosuchcmd"}), "", 60s).status, 127);

  {
    PtyProcess p(berth_argv({"run", "--rm", "-it", "busybox", "sh"}), 33, 99);
    ASSERT_TRUE(p.expect("# ")) << p.output() << d.log();
    p.type("stty size; echo $((6*7)); exit 3\r");
    EXPECT_EQ(p.wait(), 3) << p.output();
    EXPECT_NE(p.output().find("42"), std::string::npos) << p.output();
    EXPECT_NE(p.output().find("33 99"), std::string::npos) << p.output();
  }
  {
    // The terminal comes back as it was, after an exit and after a detach.
    std::string berth_cmd = berth::test::bin("berth") + " -H " + d.host();
    PtyProcess p({"/bin/sh", "-c",
                  "stty -g > " + d.path("tty-before") + "; " + berth_cmd + " run --rm -it busybox sh; stty -g > " +
                      d.path("tty-after") + "; " + berth_cmd + " run -it --name bdet2 busybox sh; stty -g > " +
                      d.path("tty-detached")});
    ASSERT_TRUE(p.expect("# ")) << p.output();
    p.type("exit 0\r");
    size_t banner = p.output().find("Enter 'help'");
    ASSERT_TRUE(p.expect("Enter 'help'", 20s, banner + 1)) << p.output();  // the second container's shell
    ASSERT_TRUE(p.expect("# ", 20s, p.output().rfind("Enter 'help'"))) << p.output();
    p.type("\x10\x11");
    EXPECT_EQ(p.wait(), 0) << p.output();
    std::string before = berth::test::read_text(d.path("tty-before"));
    EXPECT_FALSE(before.empty());
    EXPECT_EQ(berth::test::read_text(d.path("tty-after")), before);
    EXPECT_EQ(berth::test::read_text(d.path("tty-detached")), before);
    EXPECT_TRUE(running("bdet2"));
  }
  {
    PtyProcess p(berth_argv({"run", "-it", "--name", "bdet", "--detach-keys", "ctrl-x,y", "busybox", "sh"}));
    ASSERT_TRUE(p.expect("# ")) << p.output();
    p.type("\x18y");
    EXPECT_EQ(p.wait(20s), 0) << p.output();
    EXPECT_TRUE(running("bdet"));
    PtyProcess a(berth_argv({"attach", "bdet"}));
    EXPECT_TRUE(wait_until(
        [&] {
          a.type("echo $((5*5))\r");
          return a.expect("25", 500ms);
        },
        15s, 100ms))
        << a.output();
    a.type("exit 9\r");
    EXPECT_EQ(a.wait(), 9) << a.output();
  }
  // start -a -i on a created container: stdin goes in, the output and exit code come back.
  auto cr = berth::test::run(
      berth_argv({"create", "-i", "--name", "later", "busybox", "sh", "-c", "read x; echo got $x; exit 2"}), "", 60s);
  ASSERT_EQ(cr.status, 0) << cr.err;
  auto st = berth::test::run(berth_argv({"start", "-a", "-i", "later"}), "value\n", 60s);
  EXPECT_EQ(st.status, 2) << st.err;
  EXPECT_EQ(st.out, "got value\n");
  // docker start -a -i of the same container again.
  auto again = docker({"start", "-a", "-i", "later"}, "again\n");
  EXPECT_EQ(again.status, 2) << again.err;
  EXPECT_EQ(again.out, "got again\n");
}

INSTANTIATE_TEST_SUITE_P(Clients, AttachBerth, ::testing::Values(kDocker28), [](const auto&) { return "berth"; });

// What the daemon and the shim do whatever the client: one client is enough.
class AttachServer : public Attach {};

TEST_P(AttachServer, TtyPromptWithoutNewlineIsNotHeldBack) {
  auto r = docker({"run", "-d", "-t", "busybox", "sh", "-c", "while true; do printf 'prompt> '; sleep 0.3; done"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string id = first_line(r.out);
  // In the log at once (each read of a TTY is a record as it comes)...
  EXPECT_TRUE(wait_until(
      [&] {
        return docker({"logs", id}).out.starts_with("prompt> ");
      },
      3s))
      << docker({"logs", id}).out;
  // ... and live to an attached client, with no newline ever.
  PtyProcess a(docker_argv({"attach", "--no-stdin", id}));
  EXPECT_TRUE(a.expect("prompt> prompt> ", 5s)) << a.output();
  docker({"rm", "-f", id});
}

TEST_P(AttachServer, IdleShimIsSmall) {
  auto r = docker({"run", "-d", "-i", "busybox", "sleep", "60"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string id = first_line(r.out);
  auto j =
      nlohmann::json::parse(berth::test::read_text(d.path("exec/containers/" + id + "/shim.json")), nullptr, false);
  ASSERT_TRUE(j.is_object());
  int pid = j.value("Pid", 0);
  auto rss_kb = [&] {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1L;
  };
  // The shim trims itself once the container runs (shim_memory.hpp): a bounded wait for that.
  long kb = -1;
  berth::test::wait_until([&] { return (kb = rss_kb()) > 0 && kb < 2048; }, std::chrono::seconds(5));
  EXPECT_GT(kb, 0);
  EXPECT_LT(kb, 2048) << "berth-shim of an idle container: " << kb << " kB resident";
}

INSTANTIATE_TEST_SUITE_P(Clients, AttachServer, ::testing::Values(kDocker28), [](const auto&) { return "docker28"; });

class AttachHostile : public Attach {};

TEST_P(AttachHostile, GarbageFramesAndHugeSizesAreRefused) {
  auto r = docker({"run", "-d", "-it", "busybox", "sh"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string id = first_line(r.out);
  std::string sdir = d.path("exec/containers/" + id);
  // The socket is the shim's alone: mode 0600.
  struct stat st {};
  ASSERT_EQ(stat((sdir + "/attach.sock").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto refused = [&](const std::string& bytes) {
    auto fd = berth::engine::connect_attach_socket(sdir);
    if (!fd) return std::string("connect: ") + fd.error().what();
    send_str(fd->get(), bytes);
    berth::engine::FrameDecoder dec;
    dec.feed(read_until_eof(fd->get(), 5s));
    auto f = dec.next();
    if (!f || !*f) return std::string("no frame");
    return (*f)->type == berth::engine::FrameType::Error ? (*f)->payload : std::string("not an error frame");
  };
  EXPECT_NE(refused("GET / HTTP/1.1\r\n\r\n").find("unknown frame type"), std::string::npos);
  EXPECT_NE(refused(std::string("\x02\xff\xff\xff\xff", 5)).find("exceeds the limit"), std::string::npos);
  EXPECT_NE(refused(berth::engine::encode_resize(0xffffffffu, 80)).find("out of range"), std::string::npos);
  EXPECT_NE(refused(berth::engine::encode_frame(berth::engine::FrameType::Resize, "xyz")).find("payload"),
            std::string::npos);
  EXPECT_NE(refused(berth::engine::encode_frame(berth::engine::FrameType::Stdout, "x")).find("not for the shim"),
            std::string::npos);
  // Random bytes, many times: the shim survives them all.
  std::srand(7);
  for (int i = 0; i < 30; ++i) {
    std::string junk(1 + std::rand() % 200, '\0');
    for (auto& ch : junk) ch = static_cast<char>(std::rand());
    auto fd = berth::engine::connect_attach_socket(sdir);
    ASSERT_TRUE(fd);
    send_str(fd->get(), junk);
  }
  EXPECT_TRUE(running(id));

  auto sock = d.socket_path();
  EXPECT_EQ(raw_request(sock, "POST", "/containers/" + id + "/resize?h=99999999999&w=80").status, 400);
  EXPECT_EQ(raw_request(sock, "POST", "/containers/" + id + "/resize?h=70000&w=80").status, 400);
  EXPECT_EQ(raw_request(sock, "POST", "/containers/" + id + "/resize?h=-1&w=80").status, 400);
  EXPECT_EQ(raw_request(sock, "POST", "/containers/" + id + "/resize?h=abc&w=80").status, 400);
  EXPECT_EQ(raw_request(sock, "POST", "/containers/" + id + "/resize?w=80").status, 400);
  EXPECT_EQ(raw_request(sock, "POST", "/containers/" + id + "/resize?h=50&w=60").status, 200);
  EXPECT_EQ(raw_request(sock, "POST", "/containers/nosuch/resize?h=5&w=6").status, 404);
  auto created = docker({"create", "busybox", "true"});
  EXPECT_EQ(raw_request(sock, "POST", "/containers/" + first_line(created.out) + "/resize?h=5&w=6").status, 409);
  EXPECT_EQ(raw_request(sock, "POST", "/containers/" + id + "/attach?stream=1&stdin=1&detachKeys=ctrl-P").status, 400);
  EXPECT_TRUE(running(id));
  // The size reached the pty.
  auto sz = docker({"exec", id, "stty", "size"});
  if (sz.status == 0) {
    EXPECT_EQ(sz.out, "50 60\n");
  }
  EXPECT_EQ(docker({"rm", "-f", id}).status, 0);
}

TEST_P(AttachHostile, VanishedClientsLeakNothing) {
  auto r = docker({"run", "-d", "busybox", "sh", "-c", "while true; do echo x; sleep 0.05; done"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string id = first_line(r.out);
  auto created = docker({"create", "-i", "busybox", "cat"});
  ASSERT_EQ(created.status, 0);
  std::string cid = first_line(created.out);
  std::string req_running =
      "POST /containers/" + id +
      "/attach?stream=1&stdout=1&stdin=1 HTTP/1.1\r\nHost: x\r\nUpgrade: tcp\r\nConnection: Upgrade\r\n\r\n";
  std::string req_created =
      "POST /containers/" + cid +
      "/attach?stream=1&stdout=1&stdin=1 HTTP/1.1\r\nHost: x\r\nUpgrade: tcp\r\nConnection: Upgrade\r\n\r\n";
  auto churn = [&] {
    for (int i = 0; i < 20; ++i) {
      auto a = unix_connect(d.socket_path());
      send_str(a.get(), req_running);
      auto b = unix_connect(d.socket_path());
      send_str(b.get(), req_created + "early stdin");
      std::this_thread::sleep_for(20ms);
    }  // both vanish without a word
  };
  churn();
  ASSERT_TRUE(wait_until([&] { return running(id); }, 5s));
  std::this_thread::sleep_for(1s);
  int fds = d.fd_count(), threads = thread_count(d.pid());
  churn();
  EXPECT_TRUE(wait_until([&] { return d.fd_count() <= fds && thread_count(d.pid()) <= threads; }, 10s))
      << d.fd_count() << " fds (was " << fds << "), " << thread_count(d.pid()) << " threads (was " << threads << ")";
  // An attach waiting for a start ends when its container is removed instead.
  auto gone = docker({"create", "busybox", "true"});
  std::string gid = first_line(gone.out);
  auto waiting = unix_connect(d.socket_path());
  send_str(waiting.get(),
           "POST /containers/" + gid +
               "/attach?stream=1&stdout=1 HTTP/1.1\r\nHost: x\r\nUpgrade: tcp\r\nConnection: Upgrade\r\n\r\n");
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(docker({"rm", gid}).status, 0);
  auto t0 = std::chrono::steady_clock::now();
  auto answer = read_until_eof(waiting.get(), 10s);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s) << answer;
  EXPECT_NE(answer.find("101 UPGRADED"), std::string::npos) << answer;
  // The container whose attachers vanished before its start starts and runs normally.
  auto st = docker({"start", cid});
  EXPECT_EQ(st.status, 0) << st.err;
  EXPECT_TRUE(running(cid));
  EXPECT_TRUE(running(id));
}

INSTANTIATE_TEST_SUITE_P(Clients, AttachHostile, ::testing::Values(kDocker28), [](const auto&) { return "docker28"; });
