// A private berthd with busybox loaded, driven by one stock docker client (the test's
// parameter), for the lifecycle suites (restart policies, stop signals, --init, top, stats).
// Every container is removed at the end; bounded waits only.
#pragma once
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "api/berthd_fixture.hpp"
#include "api/busybox_archive.hpp"

namespace berth::api::test {

class Lifecycle : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(berth::test::have_program(GetParam())) << GetParam() << " is not installed";
    ASSERT_FALSE(busybox_archive().empty());
    ASSERT_TRUE(d.ready()) << d.log();
    auto r = docker({"load", "-i", busybox_archive()});
    ASSERT_EQ(r.status, 0) << r.err;
  }
  void TearDown() override {
    if (!d.ready()) return;
    std::vector<std::string> rm = {"rm", "-f"};
    for (auto& id : lines(docker({"ps", "-aq"}).out)) rm.push_back(id);
    if (rm.size() > 2) docker(rm);
  }
  berth::test::CmdResult docker(std::vector<std::string> args) { return d.docker(std::move(args), GetParam()); }
  // `docker run -d ...`; the container's ID, or "" (the failure is recorded).
  std::string run_d(std::vector<std::string> args) {
    args.insert(args.begin(), {"run", "-d"});
    auto r = docker(args);
    EXPECT_EQ(r.status, 0) << r.err;
    return r.status == 0 ? lines(r.out).back() : "";
  }
  nlohmann::json inspect(const std::string& c) {
    auto r = docker({"inspect", c});
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    return j.is_array() && !j.empty() ? j[0] : nlohmann::json::object();
  }
  std::string status(const std::string& c) { return inspect(c)["State"].value("Status", std::string()); }
  bool wait_status(const std::string& c, const std::string& want, std::chrono::seconds limit = std::chrono::seconds(20)) {
    return berth::test::wait_until([&] { return status(c) == want; }, limit, std::chrono::milliseconds(50));
  }
  // The container's events of one kind, oldest first, as nanoseconds since the epoch.
  std::vector<int64_t> event_times(const std::string& c, const std::string& action) {
    auto r = docker({"events", "--since", "0", "--until", std::to_string(time(nullptr) + 1), "--filter",
                     "container=" + c, "--filter", "event=" + action, "--format", "{{.TimeNano}}"});
    std::vector<int64_t> out;
    for (auto& l : lines(r.out)) out.push_back(std::stoll(l));
    return out;
  }
  static std::vector<std::string> lines(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    for (std::string l; std::getline(in, l);)
      if (!l.empty()) out.push_back(l);
    return out;
  }
  Berthd d;
};

}  // namespace berth::api::test
