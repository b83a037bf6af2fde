// Tests build their links, addresses and nftables tables in a network namespace of their own,
// entered by one thread: the host's links, routes and firewall are never touched, and
// everything made there goes away with the namespace when the thread ends.
#pragma once
#include <sched.h>

#include <string>
#include <thread>

namespace berth::network::test {

// Runs fn() on a thread inside a fresh network namespace; returns "" or the failure text.
template <class F>
std::string in_fresh_netns(F fn) {
  std::string failure;
  std::thread t([&] {
    if (unshare(CLONE_NEWNET) != 0) {
      failure = "unshare(CLONE_NEWNET) failed";
      return;
    }
    failure = fn();
  });
  t.join();
  return failure;
}

}  // namespace berth::network::test
