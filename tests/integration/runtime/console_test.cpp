// Pseudo-terminals and SCM_RIGHTS fd passing against the real kernel.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

#include "runtime/console.hpp"
#include "support/support.hpp"

using namespace berth::runtime;

namespace {

// Reads from fd until `want` has been seen or the timeout passes; returns what was read.
std::string read_until(int fd, const std::string& want, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  std::string got;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (got.find(want) == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) != 1) break;
    char buf[256];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

int wait_child(pid_t pid) {
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  pollfd p{pidfd, POLLIN, 0};
  if (poll(&p, 1, 10000) != 1) {
    kill(pid, SIGKILL);
    ADD_FAILURE() << "child did not exit";
  }
  close(pidfd);
  int st = 0;
  waitpid(pid, &st, 0);
  return st;
}

bool is_cloexec(int fd) { return fcntl(fd, F_GETFD) & FD_CLOEXEC; }

}  // namespace

TEST(Console, PtyCarriesDataBothWays) {
  auto pty = open_pty(24, 80);
  ASSERT_TRUE(pty) << pty.error().what();
  EXPECT_TRUE(isatty(pty->slave.get()));
  EXPECT_TRUE(is_cloexec(pty->master.get()));
  EXPECT_TRUE(is_cloexec(pty->slave.get()));

  ASSERT_EQ(write(pty->slave.get(), "hello\n", 6), 6);
  EXPECT_EQ(read_until(pty->master.get(), "hello\r\n"), "hello\r\n");  // the line discipline adds \r

  ASSERT_EQ(write(pty->master.get(), "ping\n", 5), 5);
  EXPECT_EQ(read_until(pty->slave.get(), "ping\n"), "ping\n");
}

TEST(Console, WindowSizeIsSet) {
  auto pty = open_pty(33, 121);
  ASSERT_TRUE(pty) << pty.error().what();
  winsize ws{};
  ASSERT_EQ(ioctl(pty->master.get(), TIOCGWINSZ, &ws), 0);
  EXPECT_EQ(ws.ws_row, 33);
  EXPECT_EQ(ws.ws_col, 121);
  ASSERT_TRUE(set_window_size(pty->master.get(), 50, 200));
  ASSERT_EQ(ioctl(pty->slave.get(), TIOCGWINSZ, &ws), 0);
  EXPECT_EQ(ws.ws_row, 50);
  EXPECT_EQ(ws.ws_col, 200);
  auto bad = set_window_size(pty->master.get(), 70000, 10);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().what(), "console size 70000x10: out of range (max 65535)");
}

TEST(Console, ControllingTerminalInChild) {
  auto pty = open_pty(24, 80);
  ASSERT_TRUE(pty) << pty.error().what();
  char slave_name[64];
  ASSERT_EQ(ptsname_r(pty->master.get(), slave_name, sizeof slave_name), 0);
  pid_t pid = fork();
  if (pid == 0) {
    pty->master.reset();
    if (!make_controlling_tty(pty->slave.get())) _exit(10);
    for (int fd = 0; fd <= 2; ++fd)
      if (!isatty(fd)) _exit(11);
    if (tcgetsid(0) != getpid()) _exit(12);  // we lead the session the tty belongs to
    int tty = open("/dev/tty", O_RDWR);  // works only with a controlling terminal
    if (tty < 0) _exit(13);
    char name[64];
    if (ttyname_r(1, name, sizeof name) != 0 || strcmp(name, slave_name) != 0) _exit(14);
    const char msg[] = "child-on-tty\n";
    if (write(1, msg, sizeof msg - 1) != sizeof msg - 1) _exit(15);
    _exit(0);
  }
  pty->slave.reset();
  std::string got = read_until(pty->master.get(), "child-on-tty");
  int st = wait_child(pid);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "child status " << st;
  EXPECT_NE(got.find("child-on-tty"), std::string::npos) << got;
}

TEST(Console, FdPassingOverSocketpair) {
  int sp[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  ASSERT_TRUE(send_fd(sp[0], p[1], "the-pipe"));
  close(p[1]);
  auto got = recv_fd_with_name(sp[1]);
  ASSERT_TRUE(got) << got.error().what();
  EXPECT_EQ(got->name, "the-pipe");
  EXPECT_TRUE(is_cloexec(got->fd.get()));
  // The received fd is the same open pipe: what goes in comes out of our read end.
  ASSERT_EQ(write(got->fd.get(), "through", 7), 7);
  got->fd.reset();
  EXPECT_EQ(read_until(p[0], "through"), "through");
  close(p[0]);
  close(sp[0]);
  close(sp[1]);
}

TEST(Console, PtyMasterTravelsToConsoleSocket) {
  // What --console-socket does: connect, send the master, the receiver talks to the slave.
  berth::test::TempDir tmp;
  std::string path = tmp / "console.sock";
  int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, path.c_str());
  ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(lfd, 1), 0);
  auto conn = connect_unix(path);
  ASSERT_TRUE(conn) << conn.error().what();
  int server = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(server, 0);
  auto pty = open_pty(0, 0);
  ASSERT_TRUE(pty) << pty.error().what();
  ASSERT_TRUE(send_fd(conn->get(), pty->master.get(), "/dev/ptmx"));
  pty->master.reset();
  auto master = recv_fd(server);
  ASSERT_TRUE(master) << master.error().what();
  ASSERT_EQ(write(pty->slave.get(), "from-container\n", 15), 15);
  EXPECT_NE(read_until(master->get(), "from-container").find("from-container"), std::string::npos);
  close(server);
  close(lfd);
}

TEST(Console, RecvWithoutFdIsAnError) {
  int sp[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
  ASSERT_EQ(write(sp[0], "x", 1), 1);
  auto r = recv_fd(sp[1]);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(), "recvmsg (SCM_RIGHTS): message carried no fd");
  close(sp[0]);
  r = recv_fd(sp[1]);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, berth::ErrorKind::Unavailable);
  close(sp[1]);
}

TEST(Console, ConnectToMissingSocketNamesPath) {
  berth::test::TempDir tmp;
  auto r = connect_unix(tmp / "nobody-home.sock");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().errnum, ENOENT);
  EXPECT_EQ(r.error().message, "connect " + (tmp / "nobody-home.sock"));
}

TEST(Console, ConnectToPathLongerThanSunPath) {
  berth::test::TempDir tmp;
  std::string dir = tmp.path();
  while (dir.size() < 150) {
    dir += "/a-rather-long-directory-name";
    ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  }
  std::string path = dir + "/console.sock";
  ASSERT_GT(path.size(), sizeof(sockaddr_un::sun_path));
  // Bind through the directory fd as well, the only way to reach such a path.
  int dfd = open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  std::string via = "/proc/self/fd/" + std::to_string(dfd) + "/console.sock";
  int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, via.c_str());
  ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << strerror(errno);
  ASSERT_EQ(listen(lfd, 1), 0);
  close(dfd);
  auto conn = connect_unix(path);
  EXPECT_TRUE(conn) << conn.error().what();
  close(lfd);
}
