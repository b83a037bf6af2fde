// The remotecommand session against a process that speaks the shim's frames from a thread: the
// streams it waits for, stdout/stderr relayed, stdin and resizes delivered, the v4 status JSON
// for success and for an exit code, stream-creation timeout, and hostile clients.
#include "cri/streaming/remote_command.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "engine/attach_protocol.hpp"
#include "engine/exec_request.hpp"
#include "spdy_test_client.hpp"

using namespace berth;
using namespace berth::cri::streaming;
using berth::cri::streaming::test::SpdyTestClient;
using nlohmann::json;

namespace {

struct Pair {
  UniqueFd a, b;
  Pair() {
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    a = UniqueFd(fds[0]);
    b = UniqueFd(fds[1]);
  }
};

// A fake process: echoes stdin (upper-cased) to stdout, reports resizes on stderr, and at stdin's
// end writes "bye" and exits with exit_code.
void fake_process(UniqueFd conn, int exit_code, std::vector<engine::Frame>* seen) {
  engine::FrameDecoder dec;
  char buf[4096];
  auto out = [&](engine::FrameType t, std::string p) { send_all(conn.get(), engine::encode_frame(t, p)); };
  while (true) {
    ssize_t n = read(conn.get(), buf, sizeof buf);
    if (n <= 0) return;
    dec.feed(std::string_view(buf, static_cast<size_t>(n)));
    while (auto f = dec.next()) {
      if (!*f) break;
      if (seen) seen->push_back(**f);
      if ((*f)->type == engine::FrameType::Stdin) {
        std::string s = (*f)->payload;
        for (auto& c : s) c = static_cast<char>(toupper(c));
        out(engine::FrameType::Stdout, s);
      } else if ((*f)->type == engine::FrameType::Resize) {
        auto rc = engine::decode_resize((*f)->payload);
        out(engine::FrameType::Stderr, std::to_string(rc->first) + "x" + std::to_string(rc->second) + "\n");
      } else if ((*f)->type == engine::FrameType::CloseStdin) {
        out(engine::FrameType::Stdout, "bye");
        out(engine::FrameType::ExecExit, engine::encode_exec_exit({exit_code, false}));
        return;
      }
    }
  }
}

struct Session {
  Pair client, backend;
  std::thread server, proc;
  Result<> result;
  std::string finished_payload = "(not called)";
  std::vector<engine::Frame> seen;

  Session(StreamOptions opts, int exit_code, std::string protocol = "v4.channel.k8s.io", SessionLimits lim = {}) {
    Process p;
    p.cmd = {"sh", "-c", "x"};
    p.start = [this]() -> Result<UniqueFd> { return std::move(backend.a); };
    p.finished = [this](const std::string& s) { finished_payload = s; };
    proc = std::thread(fake_process, std::move(backend.b), exit_code, &seen);
    server = std::thread([this, opts, p, protocol, lim] {
      result = serve_remote_command_spdy(client.b.get(), "", protocol, opts, p, lim);
      client.b.reset();
    });
  }
  ~Session() {
    client.a.reset();
    if (server.joinable()) server.join();
    backend.a.reset();
    if (proc.joinable()) proc.join();
  }
};

}  // namespace

TEST(RemoteCommand, StdinStdoutStderrAndSuccessStatus) {
  Session run({.stdin = true, .stdout = true, .stderr = true, .tty = false}, 0);
  SpdyTestClient c(run.client.a.get());
  uint32_t err = c.open("error"), in = c.open("stdin"), out = c.open("stdout"), errs = c.open("stderr");
  ASSERT_TRUE(c.pump_until([&] { return c.replied.size() == 4; })) << c.error;
  c.send(in, "hello ");
  c.send(in, "world", true);
  ASSERT_TRUE(c.pump_until([&] { return c.finished.count(err) != 0; })) << c.error;
  EXPECT_EQ(c.data[out], "HELLO WORLDbye");
  EXPECT_TRUE(c.finished.count(out));
  EXPECT_TRUE(c.finished.count(errs));
  EXPECT_EQ(json::parse(c.data[err]), json::parse(R"({"metadata":{},"status":"Success"})"));
  EXPECT_EQ(c.window_updates[in], 11u);  // stdin's window reopened as it was consumed
  run.client.a.reset();  // the client closes once it has the status, as client-go does
  run.server.join();
  EXPECT_TRUE(run.result) << run.result.error().what();
  EXPECT_EQ(run.finished_payload, engine::encode_exec_exit({0, false}));
}

TEST(RemoteCommand, NonZeroExitIsAFailureStatusWithTheExitCodeCause) {
  Session run({.stdin = true, .stdout = true, .stderr = false}, 7);
  SpdyTestClient c(run.client.a.get());
  uint32_t err = c.open("error"), in = c.open("stdin");
  c.open("stdout");
  ASSERT_TRUE(c.pump_until([&] { return c.replied.size() == 3; })) << c.error;
  c.send(in, "", true);
  ASSERT_TRUE(c.pump_until([&] { return c.finished.count(err) != 0; })) << c.error;
  auto st = json::parse(c.data[err]);
  EXPECT_EQ(st["status"], "Failure");
  EXPECT_EQ(st["reason"], "NonZeroExitCode");
  EXPECT_EQ(st["details"]["causes"][0]["reason"], "ExitCode");
  EXPECT_EQ(st["details"]["causes"][0]["message"], "7");
  EXPECT_EQ(st["message"], "command terminated with non-zero exit code: command 'sh -c x' exited with 7");
}

TEST(RemoteCommand, V3ReportsTheExitAsTextAndNothingOnSuccess) {
  Session run({.stdin = true, .stdout = true, .stderr = false}, 3, "v3.channel.k8s.io");
  SpdyTestClient c(run.client.a.get());
  uint32_t err = c.open("error"), in = c.open("stdin");
  c.open("stdout");
  ASSERT_TRUE(c.pump_until([&] { return c.replied.size() == 3; })) << c.error;
  c.send(in, "", true);
  ASSERT_TRUE(c.pump_until([&] { return c.finished.count(err) != 0; })) << c.error;
  EXPECT_EQ(c.data[err], "command 'sh -c x' exited with 3");
}

TEST(RemoteCommand, TtyResizesReachTheProcess) {
  Session run({.stdin = true, .stdout = true, .stderr = true, .tty = true}, 0);
  SpdyTestClient c(run.client.a.get());
  c.open("error");
  uint32_t in = c.open("stdin"), out = c.open("stdout"), rs = c.open("resize");
  ASSERT_TRUE(c.pump_until([&] { return c.replied.size() == 4; })) << c.error;
  // Split mid-object and two in one frame, as a byte stream may arrive.
  c.send(rs, R"({"Width":80,"Hei)");
  c.send(rs, "ght\":24}\n{\"Width\":132,\"Height\":43}\n");
  // With a TTY there is no stderr stream: what the process writes there arrives on stdout.
  ASSERT_TRUE(c.pump_until([&] { return c.data[out].find("43x132") != std::string::npos; })) << c.error;
  EXPECT_EQ(c.data[out], "24x80\n43x132\n");
  c.send(in, "x");
  ASSERT_TRUE(c.pump_until([&] { return c.data[out].size() > 13; })) << c.error;
}

TEST(RemoteCommand, BadResizeEndsTheSession) {
  Session run({.stdin = false, .stdout = true, .stderr = false, .tty = true}, 0);
  SpdyTestClient c(run.client.a.get());
  c.open("error");
  c.open("stdout");
  uint32_t rs = c.open("resize");
  ASSERT_TRUE(c.pump_until([&] { return c.replied.size() == 3; })) << c.error;
  c.send(rs, R"({"Width":99999999,"Height":1})");
  c.pump_until([] { return false; }, std::chrono::seconds(10));
  EXPECT_TRUE(c.closed) << c.error;
}

TEST(RemoteCommand, UnknownAndDuplicateStreamsAreRefused) {
  Session run({.stdin = false, .stdout = true, .stderr = false}, 0, "v4.channel.k8s.io",
          SessionLimits{std::chrono::milliseconds(300)});
  SpdyTestClient c(run.client.a.get());
  uint32_t bogus = c.open("bogus"), e1 = c.open("error"), e2 = c.open("error");
  ASSERT_TRUE(c.pump_until([&] { return c.reset.count(bogus) && c.reset.count(e2) && c.replied.count(e1); })) << c.error;
  // stdout never comes: the session gives up after the stream-creation timeout, naming it.
  run.server.join();
  ASSERT_FALSE(run.result);
  EXPECT_EQ(run.result.error().what(), "waiting for the client's streams: timed out: 1 of 2 streams after 300 ms");
}

TEST(RemoteCommand, GarbageFromTheClientEndsTheSessionWithGoAway) {
  Session run({.stdin = false, .stdout = true, .stderr = false}, 0);
  SpdyTestClient c(run.client.a.get());
  c.write_raw(std::string("\x80\x03\x00\x06\x00\x00\x00\x03xyz", 11));  // PING of length 3
  c.pump_until([] { return false; }, std::chrono::seconds(10));
  EXPECT_TRUE(c.went_away);
  EXPECT_TRUE(c.closed);
  run.server.join();
  ASSERT_FALSE(run.result);
  EXPECT_NE(run.result.error().what().find("spdy PING: length 3, expected 4"), std::string::npos) << run.result.error().what();
}

TEST(ResizeDecoder, Bounds) {
  ResizeDecoder d;
  EXPECT_FALSE(d.feed("[1,2]"));
  ResizeDecoder big;
  EXPECT_FALSE(big.feed("{\"Width\":" + std::string(2000, '1')));
  ResizeDecoder neg;
  auto r = neg.feed(R"({"Width":-1,"Height":2})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(), "resize stream: Width must be 0 to 65535");
  ResizeDecoder ok;
  auto s = ok.feed(R"( {"Height":5,"Width":7,"extra":"}"} )");
  ASSERT_TRUE(s);
  ASSERT_EQ(s->size(), 1u);
  EXPECT_EQ((*s)[0].width, 7u);
  EXPECT_EQ((*s)[0].height, 5u);
}
