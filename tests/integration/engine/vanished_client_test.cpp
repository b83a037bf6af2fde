// A client that opens `wait` on a running container and hangs up must not leave a thread in
// berthd waiting for that container forever.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "engine/containers_fixture.hpp"

using namespace berth::engine::test;
using berth::test::wait_until;
using std::chrono::seconds;

namespace {

using berth::test::thread_count;

// Sends a wait request and reads until the response head arrived; returns the open socket.
berth::UniqueFd open_wait(const std::string& sock, const std::string& id) {
  berth::UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, sock.c_str(), sizeof sa.sun_path - 1);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return {};
  std::string req = "POST /v1.45/containers/" + id + "/wait HTTP/1.1\r\nHost: berthd\r\nContent-Length: 0\r\n\r\n";
  if (send(fd.get(), req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) return {};
  std::string head;
  char c;
  while (head.find("\r\n\r\n") == std::string::npos && read(fd.get(), &c, 1) == 1) head += c;
  if (head.rfind("HTTP/1.1 200", 0) != 0) return {};
  return fd;
}

}  // namespace

TEST_F(Containers, WaitOfVanishedClientEnds) {
  auto r = d->docker({"run", "-d", "busybox", "sleep", "1000"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string id = first_line(r.out);
  int before = thread_count(d->pid());
  std::vector<berth::UniqueFd> waits;
  for (int i = 0; i < 20; ++i) {
    waits.push_back(open_wait(d->socket_path(), id));
    ASSERT_TRUE(waits.back()) << "wait " << i << " was not answered with 200";
  }
  EXPECT_GE(thread_count(d->pid()), 20);  // a thread per connection holds each wait
  waits.clear();  // the clients hang up; the container keeps running
  EXPECT_TRUE(wait_until([&] { return thread_count(d->pid()) <= before; }, seconds(10)))
      << thread_count(d->pid()) << " threads, " << before << " before the waits";
  EXPECT_EQ(first_line(d->docker({"inspect", "-f", "{{.State.Status}}", id}).out), "running");
}
