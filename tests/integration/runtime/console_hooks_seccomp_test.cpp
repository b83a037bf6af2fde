// The pieces a config turns on: a terminal over --console-socket, the six hook kinds, seccomp.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <thread>

#include "runtime/console.hpp"
#include "runtime_fixture.hpp"

namespace berth::test {

TEST_F(RuntimeTest, TerminalMasterArrivesOnConsoleSocket) {
  std::string sock_path = tmp->path() + "/console.sock";
  int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock_path.c_str());
  ASSERT_EQ(bind(ls, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(ls, 1), 0);
  bundle->config["process"]["terminal"] = true;
  bundle->config["process"]["consoleSize"] = {{"height", 30}, {"width", 100}};
  bundle->config["process"]["args"] = {"sh", "-c", "tty; stty size; echo done"};
  bundle->write();
  std::string id = unique_id("tty");
  created.push_back(id);
  berth::UniqueFd master;
  std::thread acceptor([&] {
    int c = accept4(ls, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) return;
    auto fd = runtime::recv_fd(c);
    if (fd) master = std::move(*fd);
    close(c);
  });
  auto r = rt({"create", "--console-socket", sock_path, "--bundle", bundle->dir, id});
  acceptor.join();
  close(ls);
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_TRUE(master) << "no pty master received";
  ASSERT_EQ(rt({"start", id}).status, 0);
  std::string out;
  char buf[512];
  pollfd p{master.get(), POLLIN, 0};
  while (out.find("done") == std::string::npos && poll(&p, 1, 5000) == 1) {
    ssize_t n = read(master.get(), buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  EXPECT_NE(out.find("/dev/pts/0"), std::string::npos) << out;
  EXPECT_NE(out.find("30 100"), std::string::npos) << out;
}

TEST_F(RuntimeTest, TerminalWithoutConsoleSocketIsRefused) {
  bundle->config["process"]["terminal"] = true;
  bundle->write();
  auto r = rt({"create", "--bundle", bundle->dir, unique_id("t")});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("--console-socket"), std::string::npos) << r.err;
}

TEST_F(RuntimeTest, AllSixHookKindsRunInOrderWithState) {
  std::string logdir = tmp->path() + "/hooklog";
  ASSERT_EQ(sh("mkdir -p " + logdir).status, 0);
  std::string log = logdir + "/log";
  auto host_hook = [&](const std::string& name) {
    return nlohmann::json{{"path", "/bin/sh"},
                          {"args", {"sh", "-c", "read -r s; echo " + name + " $(echo \"$s\" | grep -o '\"status\":\"[a-z]*\"') >> " + log}}};
  };
  auto& h = bundle->config["hooks"];
  h["prestart"] = {host_hook("prestart")};
  h["createRuntime"] = {host_hook("createRuntime")};
  h["createContainer"] = {host_hook("createContainer")};
  // startContainer runs inside the container: its path and the log are the container's.
  h["startContainer"] = {{{"path", "/bin/sh"}, {"args", {"sh", "-c", "echo startContainer >> /hooklog/log"}}}};
  h["poststart"] = {host_hook("poststart")};
  h["poststop"] = {host_hook("poststop")};
  bundle->config["mounts"].push_back({{"destination", "/hooklog"}, {"type", "bind"}, {"source", logdir}, {"options", {"bind"}}});
  auto r = sh_in("echo container ran >> /hooklog/log");
  ASSERT_EQ(r.status, 0) << r.err;
  std::string text = read_text(log);
  auto at = [&](const std::string& line) {
    auto p = text.find(line + "\n");
    EXPECT_NE(p, std::string::npos) << "missing \"" << line << "\" in:\n" << text;
    return p;
  };
  // poststart and the container's own output race (both follow the exec); the rest is ordered.
  EXPECT_LT(at("prestart \"status\":\"creating\""), at("createRuntime \"status\":\"creating\""));
  EXPECT_LT(at("createRuntime \"status\":\"creating\""), at("createContainer \"status\":\"creating\""));
  EXPECT_LT(at("createContainer \"status\":\"creating\""), at("startContainer"));
  EXPECT_LT(at("startContainer"), at("container ran"));
  EXPECT_LT(at("startContainer"), at("poststart \"status\":\"running\""));
  EXPECT_LT(at("container ran"), at("poststop \"status\":\"stopped\""));
}

TEST_F(RuntimeTest, FailingCreateRuntimeHookFailsCreateAndCleansUp) {
  bundle->config["hooks"]["createRuntime"] = {{{"path", "/bin/sh"}, {"args", {"sh", "-c", "echo nope >&2; exit 3"}}}};
  bundle->write();
  std::string id = unique_id("hk");
  auto r = rt({"create", "--bundle", bundle->dir, id});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("nope"), std::string::npos) << r.err;
  EXPECT_FALSE(state_dir_exists(id));
}

TEST_F(RuntimeTest, SeccompProfileBlocksSyscallWithConfiguredErrno) {
  bundle->config["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}},
      {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 1}}}}};
  bundle->config["root"]["readonly"] = false;
  auto r = sh_in("grep Seccomp: /proc/self/status; mkdir /tmp/blocked || echo refused");
  EXPECT_NE(r.out.find("Seccomp:\t2"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("refused"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("Operation not permitted"), std::string::npos) << r.err;
}

TEST_F(RuntimeTest, SeccompWithoutNoNewPrivilegesStillLoads) {
  bundle->config["process"]["noNewPrivileges"] = false;
  bundle->config["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"syscalls", {{{"names", {"getpid"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 38}}}}};
  auto r = sh_in("grep -E 'Seccomp:|NoNewPrivs' /proc/self/status");
  EXPECT_NE(r.out.find("Seccomp:\t2"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("NoNewPrivs:\t0"), std::string::npos) << r.out;
}

TEST_F(RuntimeTest, BadSeccompProfileIsRefusedBeforeAnythingExists) {
  bundle->config["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_EXPLODE"}};
  bundle->write();
  std::string id = unique_id("sc");
  auto r = rt({"create", "--bundle", bundle->dir, id});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("SCMP_ACT_EXPLODE"), std::string::npos) << r.err;
  EXPECT_FALSE(state_dir_exists(id));
}

}  // namespace berth::test

namespace berth::test {

TEST_F(RuntimeTest, ForegroundRunWithTerminalProxiesThePty) {
  bundle->config["process"]["terminal"] = true;
  auto r = sh_in("tty; echo through-the-pty");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("/dev/pts/0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("through-the-pty"), std::string::npos) << r.out;
}

TEST_F(RuntimeTest, ExecWithTtyProxiesThePty) {
  std::string id = create_sleeper();
  ASSERT_EQ(rt({"start", id}).status, 0);
  auto r = rt({"exec", "-t", id, "sh", "-c", "tty"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("/dev/pts/0"), std::string::npos) << r.out;
}

}  // namespace berth::test
