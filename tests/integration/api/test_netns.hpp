// A named network namespace of the test's own (/run/netns/<name>, lo up), deleted at the end:
// where a peer engine may change links, routes and firewall rules without touching the host's.
#pragma once
#include <unistd.h>

#include <string>
#include <vector>

#include "support/support.hpp"

namespace berth::api::test {

class TestNetns {
 public:
  explicit TestNetns(const std::string& base = "berth-test") : name_(base + "-" + std::to_string(getpid())) {
    ok_ = berth::test::run({"ip", "netns", "add", name_}).status == 0 &&
          berth::test::run({"ip", "-n", name_, "link", "set", "lo", "up"}).status == 0;
  }
  ~TestNetns() { berth::test::run({"ip", "netns", "del", name_}); }
  bool ok() const { return ok_; }
  std::vector<std::string> prefix() const { return {"nsenter", "--net=/run/netns/" + name_}; }
  berth::test::CmdResult run(std::vector<std::string> args) const {
    auto p = prefix();
    args.insert(args.begin(), p.begin(), p.end());
    return berth::test::run(args, "", std::chrono::seconds(60));
  }

 private:
  std::string name_;
  bool ok_ = false;
};

}  // namespace berth::api::test
