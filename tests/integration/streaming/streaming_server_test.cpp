// The streaming server against a real container (a private berthd runs it; the test's runtime
// reaches the container's shim as berthd's ExecService does): exec with stdout, stderr, stdin
// and the exit code's status JSON, and port-forward to a listener inside the container's own
// network namespace. The client is the test's, built on the SPDY codec, speaking as client-go.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "../../unit/streaming/spdy_test_client.hpp"
#include "api/berthd_fixture.hpp"
#include "streaming/kube_api_stub.hpp"
#include "api/busybox_archive.hpp"
#include "common/fs.hpp"
#include "cri/streaming/port_forward.hpp"
#include "cri/streaming/streaming_server.hpp"
#include "engine/attach_protocol.hpp"
#include "engine/exec_config.hpp"
#include "engine/exec_request.hpp"

using namespace berth;
using namespace berth::cri::streaming;
using berth::api::test::Berthd;
using berth::cri::streaming::test::SpdyTestClient;
using nlohmann::json;

namespace {

// Runs execs in a container of the berthd under test through its shim, as ExecService::start
// does: the container's own process (config.json) with the exec's command.
class ShimRuntime : public StreamingRuntime {
 public:
  explicit ShimRuntime(Berthd& d) : d_(d) {}
  Result<Process> exec(const ExecRequest& r) override {
    std::string bundle = d_.path("data/containers/" + r.container_id + "/bundle");
    std::string state = d_.path("exec/containers/" + r.container_id);
    auto spec = json::parse(berth::test::read_text(bundle + "/config.json"), nullptr, false);
    if (!spec.is_object()) return fail(ErrorKind::NotFound, "No such container: " + r.container_id);
    engine::ExecConfig cfg;
    cfg.cmd = r.cmd;
    cfg.tty = r.tty;
    auto process = BERTH_TRY(engine::exec_process(spec["process"], cfg, std::nullopt), "");
    Process p;
    p.cmd = r.cmd;
    p.start = [state, process, in = r.stdin]() -> Result<UniqueFd> {
      auto conn = BERTH_TRY(engine::connect_attach_socket(state), "connect to the shim");
      engine::ExecRequest req{process, in, 0};
      if (!send_all(conn.get(), engine::encode_frame(engine::FrameType::Exec, engine::encode_exec_request(req))))
        return fail_sys("send to the shim");
      return conn;  // ExecStarted comes first on it; the session passes over it
    };
    return p;
  }
  // As EngineStreamingRuntime::attach: the container's shim, subscribed to its output.
  Result<Process> attach(const AttachRequest& r) override {
    std::string state = d_.path("exec/containers/" + r.container_id);
    Process p;
    p.start = [state]() -> Result<UniqueFd> {
      auto conn = BERTH_TRY(engine::connect_attach_socket(state), "connect to the shim");
      if (!send_all(conn.get(), engine::encode_frame(engine::FrameType::Attach))) return fail_sys("send to the shim");
      return conn;
    };
    return p;
  }

 private:
  Berthd& d_;
};

UniqueFd upgrade(const std::string& url, const std::string& protocol) {
  auto colon = url.find(':', 7);
  uint16_t port = static_cast<uint16_t>(std::stoi(url.substr(colon + 1)));
  UniqueFd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return {};
  std::string path = url.substr(url.find('/', 7));
  send_all(s.get(), "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n" +
                        "X-Stream-Protocol-Version: " + protocol + "\r\n\r\n");
  std::string head;
  char c;
  while (head.find("\r\n\r\n") == std::string::npos && read(s.get(), &c, 1) == 1) head.push_back(c);
  EXPECT_EQ(head.substr(0, 12), "HTTP/1.1 101") << head;
  return s;
}

class Streaming : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(berth::test::have_program(api::test::kDocker28));
    ASSERT_TRUE(d.ready()) << d.log();
    ASSERT_EQ(d.docker({"load", "-i", api::test::busybox_archive()}).status, 0);
    // An echo service on the container's own loopback (no network but its own namespace).
    auto r = d.docker({"run", "-d", "--network", "none", "busybox", "nc", "-ll", "-p", "8080", "-e", "cat"});
    ASSERT_EQ(r.status, 0) << r.err << d.log();
    id = r.out.substr(0, r.out.find('\n'));
    auto pid = d.docker({"inspect", "-f", "{{.State.Pid}}", id});
    netns = "/proc/" + pid.out.substr(0, pid.out.find('\n')) + "/ns/net";
    auto s = StreamingServer::start({}, runtime);
    ASSERT_TRUE(s) << s.error().what();
    server = std::move(*s);
  }
  void TearDown() override {
    server.reset();
    if (!id.empty()) {
      EXPECT_EQ(d.docker({"rm", "-f", id}).status, 0);
    }
    for (auto& other : more) EXPECT_EQ(d.docker({"rm", "-f", other}).status, 0);
  }
  Berthd d;
  ShimRuntime runtime{d};
  std::unique_ptr<StreamingServer> server;
  std::string id, netns;
  std::vector<std::string> more;  // other containers a test ran
};

}  // namespace

TEST_F(Streaming, ExecStdoutStderrAndExitCode) {
  auto url = server->get_exec({id, {"sh", "-c", "echo out; echo err >&2; exit 7"}, false, false, true, true});
  ASSERT_TRUE(url) << url.error().what();
  auto fd = upgrade(*url, "v4.channel.k8s.io");
  SpdyTestClient c(fd.get());
  uint32_t err = c.open("error"), out = c.open("stdout"), errs = c.open("stderr");
  ASSERT_TRUE(c.pump_until([&] { return c.finished.count(err) != 0; })) << c.error;
  EXPECT_EQ(c.data[out], "out\n");
  EXPECT_EQ(c.data[errs], "err\n");
  auto st = json::parse(c.data[err]);
  EXPECT_EQ(st["status"], "Failure") << st;
  EXPECT_EQ(st["reason"], "NonZeroExitCode");
  EXPECT_EQ(st["details"]["causes"][0]["message"], "7");

  auto ok = server->get_exec({id, {"true"}, false, false, true, false});
  auto fd2 = upgrade(*ok, "v4.channel.k8s.io");
  SpdyTestClient c2(fd2.get());
  uint32_t err2 = c2.open("error");
  c2.open("stdout");
  ASSERT_TRUE(c2.pump_until([&] { return c2.finished.count(err2) != 0; })) << c2.error;
  EXPECT_EQ(json::parse(c2.data[err2])["status"], "Success");
}

TEST_F(Streaming, ExecStdinReachesTheProcess) {
  auto url = server->get_exec({id, {"sh", "-c", "read x; echo got:$x; cat"}, false, true, true, false});
  ASSERT_TRUE(url) << url.error().what();
  auto fd = upgrade(*url, "v4.channel.k8s.io");
  SpdyTestClient c(fd.get());
  uint32_t err = c.open("error"), in = c.open("stdin"), out = c.open("stdout");
  ASSERT_TRUE(c.pump_until([&] { return c.replied.size() == 3; })) << c.error;
  c.send(in, "hello\n");
  ASSERT_TRUE(c.pump_until([&] { return c.data[out] == "got:hello\n"; })) << c.error << " stdout: " << c.data[out];
  c.send(in, "more", true);  // stdin's end ends cat, and the exec
  ASSERT_TRUE(c.pump_until([&] { return c.finished.count(err) != 0; })) << c.error;
  EXPECT_EQ(c.data[out], "got:hello\nmore");
  EXPECT_EQ(json::parse(c.data[err])["status"], "Success");
}

TEST_F(Streaming, AttachToTheContainersStdio) {
  auto r = d.docker({"run", "-di", "--network", "none", "busybox", "sh", "-c",
                     "while read l; do echo \"<$l>\"; echo e$l >&2; done; echo end"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string cid = r.out.substr(0, r.out.find('\n'));
  more.push_back(cid);
  auto url = server->get_attach({cid, false, true, true, true});
  ASSERT_TRUE(url) << url.error().what();
  auto fd = upgrade(*url, "v4.channel.k8s.io");
  SpdyTestClient c(fd.get());
  uint32_t err = c.open("error"), in = c.open("stdin"), out = c.open("stdout"), errs = c.open("stderr");
  ASSERT_TRUE(c.pump_until([&] { return c.replied.size() == 4; })) << c.error;
  c.send(in, "one\n");
  ASSERT_TRUE(c.pump_until([&] { return c.data[out] == "<one>\n" && c.data[errs] == "eone\n"; }))
      << c.error << " stdout: " << c.data[out] << " stderr: " << c.data[errs];
  c.send(in, "two\n", true);  // stdin's end ends the loop, and the container
  ASSERT_TRUE(c.pump_until([&] { return c.finished.count(err) != 0; })) << c.error;
  EXPECT_EQ(c.data[out], "<one>\n<two>\nend\n");
  EXPECT_EQ(json::parse(c.data[err])["status"], "Success");
}

TEST_F(Streaming, PortForwardIntoTheContainersNetns) {
  // nc listens once it runs: wait for it (bounded) with a dial of our own.
  ASSERT_TRUE(berth::test::wait_until([&] { return dial_in_netns(netns, 8080).has_value(); }, std::chrono::seconds(10)))
      << "nothing listens on 8080 in " << netns;
  // The host's own loopback has no such listener: the bytes can only have come from the pod.
  auto url = server->get_port_forward({id, netns});
  ASSERT_TRUE(url) << url.error().what();
  auto fd = upgrade(*url, "portforward.k8s.io");
  SpdyTestClient c(fd.get());
  spdy::Headers h = {{"port", "8080"}, {"requestid", "0"}};
  uint32_t e = c.open("error", h), dstream = c.open("data", h);
  ASSERT_TRUE(c.pump_until([&] { return c.replied.size() == 2; })) << c.error;
  c.send(dstream, "ping through the pod\n");
  ASSERT_TRUE(c.pump_until([&] { return c.data[dstream] == "ping through the pod\n"; })) << c.error << " got: " << c.data[dstream];
  c.send(dstream, "", true);
  ASSERT_TRUE(c.pump_until([&] { return c.finished.count(dstream) && c.finished.count(e); })) << c.error;
  EXPECT_EQ(c.data[e], "");

  // A port nobody listens on in the pod: the dial's error on the error stream.
  auto url2 = server->get_port_forward({id, netns});
  auto fd2 = upgrade(*url2, "portforward.k8s.io");
  SpdyTestClient c2(fd2.get());
  spdy::Headers h2 = {{"port", "8081"}, {"requestid", "1"}};
  uint32_t e2 = c2.open("error", h2);
  c2.open("data", h2);
  ASSERT_TRUE(c2.pump_until([&] { return c2.finished.count(e2) != 0; })) << c2.error;
  EXPECT_NE(c2.data[e2].find("error forwarding port 8081"), std::string::npos) << c2.data[e2];
}

// The stock kubectl as the client (through a stand-in API server): its SPDY code (spdystream,
// client-go's remotecommand v4) against ours, header compression and all.
class KubectlStreaming : public Streaming {
 protected:
  void SetUp() override {
    // kubectl is not a Debian package (this machine has Google's): without it there is no
    // stock client to run, and the codec's own client above still covers the protocols.
    if (!berth::test::have_program("kubectl")) GTEST_SKIP() << "kubectl is not installed";
    Streaming::SetUp();
  }
  // websocket false: kubectl told to speak SPDY (it tries WebSocket first otherwise).
  berth::test::CmdResult kubectl(std::vector<std::string> args, const std::string& input = "", bool websocket = true) {
    args.insert(args.begin(), {"env", std::string("KUBECTL_REMOTE_COMMAND_WEBSOCKETS=") + (websocket ? "true" : "false"),
                               "kubectl", "--server", stub.server(), "--kubeconfig", "/dev/null"});
    return berth::test::run(args, input);
  }
  ExecRequest next_exec;
  berth::cri::streaming::test::KubeApiStub stub{[this](const std::string& kind) {
    auto url = kind == "exec" ? server->get_exec(next_exec) : server->get_port_forward({id, netns});
    return url ? *url : std::string("http://127.0.0.1:1/none");
  }};
};

TEST_F(KubectlStreaming, ExecOutputAndExitCode) {
  for (bool websocket : {true, false}) {
    SCOPED_TRACE(websocket ? "websocket" : "SPDY");
    next_exec = {id, {"sh", "-c", "echo out; echo err >&2; exit 3"}, false, false, true, true};
    auto r = kubectl({"exec", "p", "--", "sh", "-c", "echo out; echo err >&2; exit 3"}, "", websocket);
    EXPECT_EQ(r.status, 3) << r.err;
    EXPECT_EQ(r.out, "out\n");
    EXPECT_EQ(r.err, "err\ncommand terminated with exit code 3\n");
    auto ups = stub.upgrades();
    ASSERT_FALSE(ups.empty());
    EXPECT_EQ(ups.back(), websocket ? "websocket" : "SPDY/3.1");
  }
}

TEST_F(KubectlStreaming, ExecWithStdin) {
  for (bool websocket : {true, false}) {
    SCOPED_TRACE(websocket ? "websocket" : "SPDY");
    next_exec = {id, {"sh", "-c", "read x; echo got:$x; cat"}, false, true, true, true};
    // stdin's end (v5's close signal over WebSocket, a FIN over SPDY) ends cat and the exec.
    auto r = kubectl({"exec", "-i", "p", "--", "sh", "-c", "read x; echo got:$x; cat"}, "hello\nrest", websocket);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "got:hello\nrest");
    EXPECT_EQ(stub.upgrades().back(), websocket ? "websocket" : "SPDY/3.1");
  }
}

TEST_F(KubectlStreaming, PortForwardToTheContainer) {
  ASSERT_TRUE(berth::test::wait_until([&] { return dial_in_netns(netns, 8080).has_value(); }, std::chrono::seconds(10)));
  // kubectl port-forward runs until stopped: started here, its local port read from its output.
  int out[2];
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  std::string server_arg = stub.server();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    execlp("kubectl", "kubectl", "--server", server_arg.c_str(), "--kubeconfig", "/dev/null", "port-forward", "p",
           "--address", "127.0.0.1", "0:8080", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  UniqueFd from_kubectl(out[0]);
  struct Reap {
    pid_t pid;
    ~Reap() {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  } reap{pid};
  // "Forwarding from 127.0.0.1:NNNNN -> 8080"
  std::string text;
  char c;
  pollfd p{from_kubectl.get(), POLLIN, 0};
  while (text.find(" -> 8080") == std::string::npos && poll(&p, 1, 20000) > 0 && read(from_kubectl.get(), &c, 1) == 1)
    text.push_back(c);
  auto at = text.find("127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << "kubectl said: " << text;
  uint16_t local = static_cast<uint16_t>(std::stoi(text.substr(at + 10)));
  for (int round = 0; round < 2; ++round) {  // two connections: two requests on the one SPDY session
    UniqueFd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(local);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    std::string msg = "round " + std::to_string(round) + " through kubectl\n";
    ASSERT_TRUE(send_all(s.get(), msg));
    std::string got;
    char buf[256];
    pollfd sp{s.get(), POLLIN, 0};
    while (got.size() < msg.size() && poll(&sp, 1, 20000) > 0) {
      ssize_t n = read(s.get(), buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
    EXPECT_EQ(got, msg);
  }
}
