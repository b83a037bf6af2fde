// A CRI container's log in the kubelet's format at the path the kubelet gives (the pod's
// log_directory + the container's log_path): written by the shim, read by `crictl logs`,
// rotated the kubelet's way (rename + ReopenContainerLog through the generated client) without
// losing a line; a log path that leaves its directory is refused; and a container made with
// stdin and a TTY driven through `crictl attach -it` and `crictl exec -it` in a terminal of the
// test's own. berthd runs in a network namespace of the test's own; the pods use its network.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "api/test_netns.hpp"
#include "cri/api.grpc.pb.h"
#include "cri/cri_fixture.hpp"
#include "engine/pty_process.hpp"

using namespace berth::cri::test;
using berth::api::test::TestNetns;
using berth::engine::test::PtyProcess;
using nlohmann::json;
namespace v1 = ::runtime::v1;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// One record of the file, as the kubelet parses it.
struct Record {
  std::string time, stream, tag, content;
};

std::vector<Record> records_of(const std::string& text) {
  std::vector<Record> out;
  size_t at = 0, nl;
  while ((nl = text.find('\n', at)) != std::string::npos) {
    std::string line = text.substr(at, nl - at);
    at = nl + 1;
    Record r;
    size_t a = line.find(' '), b = a == std::string::npos ? a : line.find(' ', a + 1);
    size_t c = b == std::string::npos ? b : line.find(' ', b + 1);
    EXPECT_NE(c, std::string::npos) << "not a CRI log record: " << line;
    if (c == std::string::npos) continue;
    r.time = line.substr(0, a);
    r.stream = line.substr(a + 1, b - a - 1);
    r.tag = line.substr(b + 1, c - b - 1);
    r.content = line.substr(c + 1);
    out.push_back(r);
  }
  EXPECT_EQ(at, text.size()) << "the file ends inside a record";
  return out;
}

// Go's time.RFC3339Nano in UTC: "2026-11-30T13:45:01.123Z" (the fraction's trailing zeros cut).
bool is_rfc3339_nano(const std::string& t) {
  if (t.size() < 20 || t.back() != 'Z') return false;
  const std::string shape = "dddd-dd-ddTdd:dd:dd";
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] == 'd' ? !isdigit(static_cast<unsigned char>(t[i])) : t[i] != shape[i]) return false;
  if (t.size() == 20) return true;
  if (t[19] != '.' || t.size() > 30 || t[t.size() - 2] == '0') return false;
  for (size_t i = 20; i + 1 < t.size(); ++i)
    if (!isdigit(static_cast<unsigned char>(t[i]))) return false;
  return true;
}

std::vector<Record> of_stream(const std::vector<Record>& rs, const std::string& stream) {
  std::vector<Record> out;
  for (auto& r : rs)
    if (r.stream == stream) out.push_back(r);
  return out;
}

std::string read_or_empty(const std::string& p) { return fs::exists(p) ? berth::test::read_text(p) : ""; }

class CrictlLogs : public ::testing::Test {
 protected:
  void SetUp() override {
    BERTH_NEED_CRICTL();
    ASSERT_TRUE(ns.ok()) << "could not create the test network namespace";
    daemon = std::make_unique<CriDaemon>(json::object(), std::vector<std::string>{}, ns.prefix());
    ASSERT_TRUE(daemon->ready()) << daemon->berthd().log();
    auto load = daemon->berthd().docker({"load", "-i", berth::api::test::busybox_archive()});
    ASSERT_EQ(load.status, 0) << load.out << load.err;
  }
  void TearDown() override {
    if (daemon) {
      for (auto& id : lines(daemon->crictl({"pods", "-q"}).out)) daemon->crictl({"rmp", "-f", id});
      EXPECT_EQ(daemon->crictl({"ps", "-aq"}).out, "");
    }
    daemon.reset();
  }

  std::string write_json(const std::string& name, const json& j) {
    berth::test::write_text(conf / name, j.dump(2));
    return conf / name;
  }
  // A pod on berthd's network (no CNI), its logs under a directory that does not exist yet.
  json pod_config(const std::string& name) {
    return {{"metadata", {{"name", name}, {"namespace", "default"}, {"uid", "uid-" + name}, {"attempt", 0}}},
            {"log_directory", log_dir(name)},
            {"linux", {{"security_context", {{"namespace_options", {{"network", 2}}}}}}}};
  }
  std::string log_dir(const std::string& pod) { return conf / ("logs/default_" + pod); }
  std::string runp(const json& pod) {
    auto r = daemon->crictl({"runp", write_json("pod-" + pod["metadata"]["name"].get<std::string>() + ".json", pod)});
    EXPECT_EQ(r.status, 0) << r.out << r.err << daemon->berthd().log();
    return trim_end(r.out);
  }
  berth::test::CmdResult create_raw(const std::string& pod_id, const json& pod, const json& ctr) {
    auto name = ctr["metadata"]["name"].get<std::string>();
    return daemon->crictl({"create", pod_id, write_json("ctr-" + name + ".json", ctr),
                           conf / ("pod-" + pod["metadata"]["name"].get<std::string>() + ".json")});
  }
  std::string create(const std::string& pod_id, const json& pod, const json& ctr) {
    auto r = create_raw(pod_id, pod, ctr);
    EXPECT_EQ(r.status, 0) << r.out << r.err << daemon->berthd().log();
    return trim_end(r.out);
  }
  std::string state_of(const std::string& cid) {
    auto r = daemon->crictl({"inspect", "-o", "json", cid});
    auto j = json::parse(r.out, nullptr, false);
    return j.is_object() && j.contains("status") ? j["status"].value("state", "") : "";
  }
  bool wait_exited(const std::string& cid) {
    return berth::test::wait_until([&] { return state_of(cid) == "CONTAINER_EXITED"; }, 30s, 100ms);
  }
  grpc::Status reopen(const std::string& cid) {
    auto channel = grpc::CreateChannel("unix://" + daemon->socket(), grpc::InsecureChannelCredentials());
    auto stub = v1::RuntimeService::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 30s);
    v1::ReopenContainerLogRequest req;
    req.set_container_id(cid);
    v1::ReopenContainerLogResponse resp;
    return stub->ReopenContainerLog(&ctx, req, &resp);
  }
  // crictl in a terminal of the test's own (it refuses -t without one); env finds nsenter.
  std::vector<std::string> tty_argv(std::vector<std::string> args) {
    auto argv = daemon->crictl_argv(std::move(args));
    argv.insert(argv.begin(), "/usr/bin/env");
    return argv;
  }

  TestNetns ns{"berth-crilog"};
  berth::test::TempDir conf{"berth-cri-logs"};
  std::unique_ptr<CriDaemon> daemon;
};

}  // namespace

// Lines on both streams, a line longer than the shim's line buffer and bytes without a newline
// at the end: each record is `<RFC3339Nano> <stream> <F|P> <content>`, the long line in P pieces
// ending with an F; `crictl logs` (the kubelet's reader) gives the streams back, --tail too.
TEST_F(CrictlLogs, ContainerOutputInTheKubeletsFormat) {
  auto pod = pod_config("logs");
  auto pod_id = runp(pod);
  ASSERT_EQ(pod_id.size(), 64u);
  ASSERT_FALSE(fs::exists(log_dir("logs")));
  json ctr = {{"metadata", {{"name", "app"}}},
              {"image", {{"image", "busybox"}}},
              {"log_path", "app/0.log"},
              {"command",
               {"/bin/sh", "-c",
                "echo out1; echo err1 >&2; head -c 40000 /dev/zero | tr '\\0' x; echo; echo 'out 2  spaced';"
                " echo err2 >&2; printf no-newline"}}};
  auto cid = create(pod_id, pod, ctr);
  ASSERT_EQ(cid.size(), 64u);
  std::string path = log_dir("logs") + "/app/0.log";
  auto status = json::parse(daemon->crictl({"inspect", "-o", "json", cid}).out, nullptr, false);
  ASSERT_TRUE(status.is_object());
  EXPECT_EQ(status["status"]["logPath"], path);
  ASSERT_EQ(daemon->crictl({"start", cid}).status, 0) << daemon->berthd().log();
  ASSERT_TRUE(wait_exited(cid)) << daemon->berthd().log();

  // The shim made the directories, as containerd does.
  struct stat st {};
  ASSERT_EQ(stat((log_dir("logs") + "/app").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  auto recs = records_of(berth::test::read_text(path));
  for (auto& r : recs) {
    EXPECT_TRUE(is_rfc3339_nano(r.time)) << r.time;
    EXPECT_TRUE(r.tag == "F" || r.tag == "P") << r.tag;
  }
  auto out = of_stream(recs, "stdout"), err = of_stream(recs, "stderr");
  EXPECT_EQ(out.size() + err.size(), recs.size());
  ASSERT_EQ(out.size(), 6u);
  EXPECT_EQ(out[0].tag, "F");
  EXPECT_EQ(out[0].content, "out1");
  // The long line: P pieces of 16 KiB, then the F that its newline ended.
  size_t i = 3;
  for (size_t k : {1u, 2u}) {
    EXPECT_EQ(out[k].tag, "P");
    EXPECT_EQ(out[k].content, std::string(16384, 'x'));
  }
  EXPECT_EQ(out[i].tag, "F");
  EXPECT_EQ(out[i].content, std::string(40000 - 2 * 16384, 'x'));
  EXPECT_EQ(out[i + 1].tag, "F");
  EXPECT_EQ(out[i + 1].content, "out 2  spaced");
  // The bytes before EOF that no newline ended: a P, as containerd writes them.
  EXPECT_EQ(out[i + 2].tag, "P");
  EXPECT_EQ(out[i + 2].content, "no-newline");
  ASSERT_EQ(err.size(), 2u);
  EXPECT_EQ(err[0].tag, "F");
  EXPECT_EQ(err[0].content, "err1");
  EXPECT_EQ(err[1].content, "err2");

  auto logs = daemon->crictl({"logs", cid});
  EXPECT_EQ(logs.status, 0) << logs.err;
  EXPECT_EQ(logs.out, "out1\n" + std::string(40000, 'x') + "\nout 2  spaced\nno-newline");
  EXPECT_EQ(logs.err, "err1\nerr2\n");
  // --tail counts the file's records, as the kubelet does.
  auto tail = daemon->crictl({"logs", "--tail", "2", cid});
  EXPECT_EQ(tail.status, 0) << tail.err;
  std::string tail_out, tail_err;  // the streams' last records came in either order
  for (size_t k = recs.size() - 2; k < recs.size(); ++k)
    (recs[k].stream == "stdout" ? tail_out : tail_err) += recs[k].content + (recs[k].tag == "F" ? "\n" : "");
  EXPECT_EQ(tail.out, tail_out);
  EXPECT_EQ(tail.err, tail_err);
  EXPECT_NE(tail_out.find("no-newline"), std::string::npos);
  // The Engine API reads the same file back.
  auto docker = daemon->berthd().docker({"logs", cid});
  EXPECT_EQ(docker.status, 0) << docker.err;
  EXPECT_EQ(docker.out, logs.out);
  EXPECT_EQ(docker.err, logs.err);

  EXPECT_EQ(daemon->crictl({"rm", cid}).status, 0);
  EXPECT_EQ(daemon->crictl({"rmp", "-f", pod_id}).status, 0);
  // The kubelet's files are the kubelet's: they outlive the container, as with containerd.
  EXPECT_TRUE(fs::exists(path));
}

// The kubelet rotates: it renames the file and calls ReopenContainerLog; what was written
// before is in the renamed file, what comes after in a new file at the path, nothing lost or
// repeated while the container keeps writing.
TEST_F(CrictlLogs, ReopenAfterARenameLosesNothing) {
  auto pod = pod_config("rotate");
  auto pod_id = runp(pod);
  json ctr = {{"metadata", {{"name", "counter"}}},
              {"image", {{"image", "busybox"}}},
              {"log_path", "counter.log"},
              {"command", {"/bin/sh", "-c", "i=0; while [ ! -e /stop ]; do i=$((i+1)); echo $i; usleep 2000; done"}}};
  auto cid = create(pod_id, pod, ctr);
  ASSERT_EQ(daemon->crictl({"start", cid}).status, 0) << daemon->berthd().log();
  std::string path = log_dir("rotate") + "/counter.log", rotated = path + ".20261130-141500";
  auto count = [](const std::string& p) {  // records so far (the last one may be half-written)
    auto text = read_or_empty(p);
    return std::count(text.begin(), text.end(), '\n');
  };
  ASSERT_TRUE(berth::test::wait_until([&] { return count(path) >= 20; }, 30s, 50ms)) << read_or_empty(path);
  fs::rename(path, rotated);
  auto st = reopen(cid);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_TRUE(fs::exists(path));
  ASSERT_TRUE(berth::test::wait_until([&] { return count(path) >= 20; }, 30s, 50ms)) << read_or_empty(path);
  auto stop = daemon->crictl({"exec", "-s", cid, "touch", "/stop"});
  ASSERT_EQ(stop.status, 0) << stop.err;
  ASSERT_TRUE(wait_exited(cid));

  auto before = records_of(berth::test::read_text(rotated)), after = records_of(berth::test::read_text(path));
  ASSERT_FALSE(before.empty());
  ASSERT_FALSE(after.empty());
  // Every number once, in order, across the two files.
  int expect = 1;
  for (auto* part : {&before, &after})
    for (auto& r : *part) {
      EXPECT_EQ(r.stream, "stdout");
      EXPECT_EQ(r.tag, "F");
      ASSERT_EQ(r.content, std::to_string(expect)) << (part == &before ? "in the renamed file" : "in the new file");
      ++expect;
    }

  // Only a running container's log is reopened (containerd's words); an unknown one is not found.
  st = reopen(cid);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(st.error_message(), "container is not running");
  st = reopen("no-such-container");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND) << st.error_message();
}

// A log path that climbs out of the pod's log directory, or is absolute, is refused before
// anything exists.
TEST_F(CrictlLogs, LogPathsOutsideTheDirectoryAreRefused) {
  auto pod = pod_config("bad");
  auto pod_id = runp(pod);
  for (std::string bad : {"../../escaped.log", "app/../../escaped.log", "/tmp/berth-cri-escaped.log"}) {
    json ctr = {{"metadata", {{"name", "app"}}}, {"image", {{"image", "busybox"}}}, {"log_path", bad},
                {"command", {"echo", "never"}}};
    auto r = create_raw(pod_id, pod, ctr);
    EXPECT_NE(r.status, 0) << bad;
    // crictl quotes the server's message (its '"' escaped).
    EXPECT_NE(r.err.find("InvalidArgument desc = config.log_path \\\"" + bad + "\\\": must"), std::string::npos)
        << r.err;
  }
  EXPECT_EQ(daemon->crictl({"ps", "-aq"}).out, "");
  EXPECT_FALSE(fs::exists(conf / "escaped.log"));
  EXPECT_FALSE(fs::exists(conf / "logs/escaped.log"));
  EXPECT_FALSE(fs::exists("/tmp/berth-cri-escaped.log"));
  EXPECT_FALSE(fs::exists(log_dir("bad")));
}

// A container made with stdin and a TTY: `crictl exec -it` runs a shell in a terminal of the
// test's own size, and `crictl attach -it` reaches the container's own shell; what the shell
// printed is in its log too.
TEST_F(CrictlLogs, AttachAndExecWithATerminal) {
  auto pod = pod_config("tty");
  auto pod_id = runp(pod);
  json ctr = {{"metadata", {{"name", "shell"}}}, {"image", {{"image", "busybox"}}}, {"log_path", "shell.log"},
              {"command", {"/bin/sh"}}, {"stdin", true}, {"tty", true}};
  auto cid = create(pod_id, pod, ctr);
  ASSERT_EQ(daemon->crictl({"start", cid}).status, 0) << daemon->berthd().log();
  ASSERT_EQ(state_of(cid), "CONTAINER_RUNNING");

  {
    PtyProcess exec(tty_argv({"exec", "-it", cid, "sh"}), 31, 101);
    ASSERT_TRUE(exec.expect("# ")) << exec.output() << daemon->berthd().log();
    exec.type("stty size; echo $((6*7))-exec; tty\r");
    EXPECT_TRUE(exec.expect("42-exec")) << exec.output();
    EXPECT_NE(exec.output().find("31 101"), std::string::npos) << exec.output();
    EXPECT_TRUE(exec.expect("/dev/pts/")) << exec.output();
    exec.type("exit\r");
    EXPECT_EQ(exec.wait(), 0) << exec.output();
  }
  {
    PtyProcess attach(tty_argv({"attach", "-it", cid}));
    // attach shows nothing until the shell prints: ask it something until it answers.
    bool answered = berth::test::wait_until(
        [&] {
          attach.type("echo attached-$((40+2))\r");
          return attach.expect("attached-42", 500ms);
        },
        20s, 100ms);
    ASSERT_TRUE(answered) << attach.output() << daemon->berthd().log();
    attach.type("exit 0\r");
    EXPECT_EQ(attach.wait(), 0) << attach.output();
  }
  ASSERT_TRUE(wait_exited(cid));
  auto logs = daemon->crictl({"logs", cid});
  EXPECT_NE(logs.out.find("attached-42"), std::string::npos) << logs.out;
  // A TTY's output is all stdout, its "\r\n" line ends taken off whole.
  auto recs = records_of(berth::test::read_text(log_dir("tty") + "/shell.log"));
  for (auto& r : recs) {
    EXPECT_EQ(r.stream, "stdout");
    if (r.tag == "F") {
      EXPECT_FALSE(r.content.ends_with('\r')) << r.content;
    }
  }
}

// Without a TTY, the end of the client's stdin closes the container's only when it was made
// StdinOnce (as containerd does): otherwise the next attach finds it still open.
TEST_F(CrictlLogs, AttachClosesStdinOnlyForStdinOnce) {
  auto pod = pod_config("stdin");
  auto pod_id = runp(pod);
  const json reader = {"/bin/sh", "-c", "while read l; do echo \"got $l\"; done; echo stdin-closed"};
  json once = {{"metadata", {{"name", "once"}}}, {"image", {{"image", "busybox"}}}, {"log_path", "once.log"},
               {"command", reader}, {"stdin", true}, {"stdin_once", true}};
  auto once_id = create(pod_id, pod, once);
  ASSERT_EQ(daemon->crictl({"start", once_id}).status, 0) << daemon->berthd().log();
  auto r = daemon->crictl({"attach", "-i", once_id}, "a\n");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "got a\nstdin-closed\n");
  EXPECT_TRUE(wait_exited(once_id));

  json kept = once;
  kept["metadata"]["name"] = "kept";
  kept["log_path"] = "kept.log";
  kept["stdin_once"] = false;
  auto kept_id = create(pod_id, pod, kept);
  ASSERT_EQ(daemon->crictl({"start", kept_id}).status, 0) << daemon->berthd().log();
  PtyProcess first(tty_argv({"attach", "-i", kept_id}));
  first.type("a\r");
  EXPECT_TRUE(first.expect("got a")) << first.output() << daemon->berthd().log();
  // ^D: crictl's stdin ends and it closes its stdin stream, but the container's stays open (a
  // closed one would end the loop): a second client, started after, is still read.
  first.type("\x04");
  PtyProcess second(tty_argv({"attach", "-i", kept_id}));
  second.type("b\r");
  EXPECT_TRUE(second.expect("got b")) << second.output() << daemon->berthd().log();
  EXPECT_EQ(state_of(kept_id), "CONTAINER_RUNNING");
  auto log = berth::test::read_text(log_dir("stdin") + "/kept.log");
  EXPECT_EQ(log.find("stdin-closed"), std::string::npos) << log;
}
