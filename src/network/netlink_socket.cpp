// Opening the rtnetlink socket, in our namespace or another one.
#include <netlink/netlink.h>
#include <sched.h>

#include <thread>

#include "network/netlink.hpp"
#include "network/netlink_error.hpp"

namespace berth::network {

Result<Netlink> Netlink::open() {
  nl_sock* s = nl_socket_alloc();
  if (!s) return fail(ErrorKind::Internal, "allocate netlink socket");
  if (int err = nl_connect(s, NETLINK_ROUTE); err < 0) {
    nl_socket_free(s);
    return fail(nl_error("connect netlink socket", err));
  }
  return Netlink(s);
}

Result<Netlink> Netlink::open_in(int netns_fd) {
  // A socket stays in the namespace it was created in. setns(CLONE_NEWNET) changes only the
  // calling thread, so a short-lived thread enters the namespace and opens the socket there.
  Result<Netlink> out = fail(ErrorKind::Internal, "netns thread did not run");
  std::thread t([&] {
    if (setns(netns_fd, CLONE_NEWNET) != 0) {
      out = fail_sys("enter network namespace");
      return;
    }
    out = open();
  });
  t.join();
  return out;
}

Netlink::Netlink(Netlink&& o) noexcept : sock_(std::exchange(o.sock_, nullptr)) {}
Netlink& Netlink::operator=(Netlink&& o) noexcept {
  if (this != &o) {
    if (sock_) nl_socket_free(sock_);
    sock_ = std::exchange(o.sock_, nullptr);
  }
  return *this;
}
Netlink::~Netlink() {
  if (sock_) nl_socket_free(sock_);
}

}  // namespace berth::network
