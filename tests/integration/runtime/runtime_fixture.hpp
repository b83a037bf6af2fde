// Shared fixture for berth-runtime integration tests: a busybox bundle per test and a private
// --root, with every container force-deleted at the end.
#pragma once
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

#include "support/support.hpp"

namespace berth::test {

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "integration tests run as root";
    tmp = std::make_unique<TempDir>("berth-rt");
    root = tmp->path() + "/state";
    bundle = std::make_unique<Bundle>(tmp->path() + "/bundle");
  }
  void TearDown() override {
    for (auto& id : created) rt({"delete", "--force", id});
  }

  // berth-runtime --root <root> args...
  CmdResult rt(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {bin("berth-runtime"), "--root", root});
    return run(args, input);
  }
  // Writes config with args and runs it in the foreground.
  CmdResult run_args(const std::vector<std::string>& args, const std::string& id = "") {
    bundle->config["process"]["args"] = args;
    bundle->write();
    std::string cid = id.empty() ? unique_id("c") : id;
    created.push_back(cid);
    return rt({"run", "--bundle", bundle->dir, cid});
  }
  CmdResult sh_in(const std::string& script) { return run_args({"sh", "-c", script}); }
  std::string create_sleeper(const std::string& pid_file = "") {
    bundle->config["process"]["args"] = {"sleep", "1000"};
    bundle->write();
    std::string id = unique_id("s");
    created.push_back(id);
    std::vector<std::string> a = {"create", "--bundle", bundle->dir};
    if (!pid_file.empty()) a.insert(a.end(), {"--pid-file", pid_file});
    a.push_back(id);
    auto r = rt(a);
    EXPECT_EQ(r.status, 0) << r.err;
    return id;
  }
  std::string status_of(const std::string& id) {
    auto r = rt({"state", id});
    if (r.status != 0) return "error: " + r.err;
    return nlohmann::json::parse(r.out)["status"];
  }
  int pid_of(const std::string& id) {
    auto r = rt({"state", id});
    return r.status == 0 ? nlohmann::json::parse(r.out)["pid"].get<int>() : 0;
  }
  bool state_dir_exists(const std::string& id) {
    struct stat st;
    return ::stat((root + "/" + id).c_str(), &st) == 0;
  }

  std::unique_ptr<TempDir> tmp;
  std::string root;
  std::unique_ptr<Bundle> bundle;
  std::vector<std::string> created;
};

}  // namespace berth::test
