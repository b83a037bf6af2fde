// SCMP_ACT_NOTIFY through berth-runtime: the test is the seccomp agent at listenerPath. It gets
// the container process state and the notify fd, and answers the container's mkdir itself, so
// the container sees success while nothing is created.
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "runtime_fixture.hpp"

namespace berth::test {
namespace {

struct AgentLog {
  std::string state_json;
  int fds = 0;
  int answered = 0;
  std::string error;
};

// Serves one connection, then answers every notification with success (val 0) until the
// container is gone (the notify fd hangs up) or the deadline passes.
void agent(int listen_fd, AgentLog& log) {
  pollfd lp{listen_fd, POLLIN, 0};
  if (poll(&lp, 1, 20000) != 1) {
    log.error = "the runtime never connected";
    return;
  }
  int conn = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  int nfd = -1;
  for (;;) {
    char buf[4096];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
    iovec iov{buf, sizeof buf};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
    if (n <= 0) break;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_type != SCM_RIGHTS) continue;
      log.fds += static_cast<int>((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
      std::memcpy(&nfd, CMSG_DATA(c), sizeof(int));
    }
    log.state_json.append(buf, static_cast<size_t>(n));
  }
  close(conn);
  if (nfd < 0) {
    log.error = "no fd in the message";
    return;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      log.error = "container still running at the deadline";
      break;
    }
    pollfd p{nfd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) != 1) continue;
    if (p.revents & POLLHUP) break;  // no task uses the filter any more
    seccomp_notif req{};
    if (ioctl(nfd, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) continue;  // the caller may have died
    seccomp_notif_resp resp{};
    resp.id = req.id;
    resp.val = 0;
    resp.error = 0;
    if (ioctl(nfd, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0) ++log.answered;
  }
  close(nfd);
}

}  // namespace

TEST_F(RuntimeTest, SeccompNotifyAgentAnswersForTheContainer) {
  std::string sock = tmp->path() + "/agent.sock";
  int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, sock.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << strerror(errno);
  ASSERT_EQ(listen(lfd, 1), 0);

  bundle->config["root"]["readonly"] = false;
  bundle->config["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"listenerPath", sock},
      {"listenerMetadata", "agent=berth-test"},
      {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_NOTIFY"}}}}};
  AgentLog log;
  std::thread t(agent, lfd, std::ref(log));
  std::string id = unique_id("notify");
  auto r = run_args({"sh", "-c", "mkdir /tmp/faked && echo mkdir-ok; [ -d /tmp/faked ] && echo exists || echo absent"},
                    id);
  t.join();
  close(lfd);

  EXPECT_EQ(log.error, "");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "mkdir-ok\nabsent\n") << r.err;
  EXPECT_GE(log.answered, 1);
  EXPECT_EQ(log.fds, 1);
  auto msg = nlohmann::json::parse(log.state_json, nullptr, false);
  ASSERT_FALSE(msg.is_discarded()) << log.state_json;
  EXPECT_EQ(msg["fds"], nlohmann::json::array({"seccompFd"}));
  EXPECT_EQ(msg["state"]["id"], id);
  EXPECT_EQ(msg["state"]["bundle"], bundle->dir);
  EXPECT_GT(msg["pid"].get<int>(), 0);
  EXPECT_EQ(msg["pid"], msg["state"]["pid"]);
  EXPECT_EQ(msg.value("metadata", ""), "agent=berth-test") << "listenerMetadata did not reach the agent";
}

}  // namespace berth::test
