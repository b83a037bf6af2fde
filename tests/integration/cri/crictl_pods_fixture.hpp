// The crictl pod suites' fixture: berthd (CriDaemon) in a network namespace of the test's own,
// a CNI network list of its own (bridge, host-local with a temp dataDir, loopback, portmap from
// Debian's plugins), busybox loaded, and helpers to run pods and containers through crictl.
#pragma once
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/test_netns.hpp"
#include "cri/cri_fixture.hpp"

namespace berth::cri::test {

using nlohmann::json;
using berth::api::test::TestNetns;

inline constexpr const char* kSubnet = "10.243.77.0/24";

class CrictlPods : public ::testing::Test {
 protected:
  void SetUp() override {
    BERTH_NEED_CRICTL();
    ASSERT_EQ(access("/usr/lib/cni/bridge", X_OK), 0) << "install Debian's containernetworking-plugins";
    ASSERT_TRUE(ns.ok()) << "could not create the test network namespace";
    // The pods' network: a bridge only this test uses, addresses from a temp dataDir.
    json conflist = {{"cniVersion", "1.0.0"},
                     {"name", "berth-cri-test"},
                     {"plugins",
                      {{{"type", "bridge"},
                        {"bridge", bridge},
                        {"isGateway", true},
                        {"ipMasq", false},
                        {"ipam", {{"type", "host-local"}, {"dataDir", conf / "ipam"}, {"ranges", {{{{"subnet", kSubnet}}}}},
                                  {"routes", {{{"dst", "0.0.0.0/0"}}}}}}},
                       {{"type", "loopback"}},
                       {{"type", "portmap"}, {"capabilities", {{"portMappings", true}}}}}}};
    std::filesystem::create_directories(conf / "net.d");
    berth::test::write_text(conf / "net.d/10-test.conflist", conflist.dump(2));
    daemon = std::make_unique<CriDaemon>(json{{"cni-conf-dir", conf / "net.d"}}, std::vector<std::string>{}, ns.prefix());
    ASSERT_TRUE(daemon->ready()) << daemon->berthd().log();
    auto load = daemon->berthd().docker({"load", "-i", berth::api::test::busybox_archive()});
    ASSERT_EQ(load.status, 0) << load.out << load.err;
  }
  void TearDown() override {
    // Whatever a failed test left: its pods go, then the daemon.
    if (daemon) {
      auto ids = daemon->crictl({"pods", "-q"});
      for (auto& id : lines(ids.out)) daemon->crictl({"rmp", "-f", id});
    }
    daemon.reset();
  }

  std::string write_json(const std::string& name, const json& j) {
    berth::test::write_text(conf / name, j.dump(2));
    return conf / name;
  }
  json pod_config(const std::string& name, const std::string& uid) {
    return {{"metadata", {{"name", name}, {"namespace", "default"}, {"uid", uid}, {"attempt", 1}}},
            {"hostname", name + "-host"},
            {"log_directory", conf / "logs"},
            {"dns_config", {{"servers", {"10.96.0.10"}}, {"searches", {"default.svc.cluster.local"}}, {"options", {"ndots:5"}}}},
            {"port_mappings", {{{"protocol", 0}, {"container_port", 80}, {"host_port", 18080}}}},
            {"labels", {{"app", name}}},
            {"annotations", {{"berth.test/note", "kept as is"}}},
            {"linux", json::object()}};
  }
  // runp: the pod's ID.
  std::string runp(const json& pod) {
    auto r = daemon->crictl({"runp", write_json("pod-" + pod["metadata"]["name"].get<std::string>() + ".json", pod)});
    EXPECT_EQ(r.status, 0) << r.out << r.err << daemon->berthd().log();
    return trim_end(r.out);
  }
  // runp of pod_config(name) without its host port (several such pods run at once); pod gets
  // the config.
  std::string runp_named(const std::string& name, json& pod) {
    pod = pod_config(name, "uid-" + name + "-1");
    pod.erase("port_mappings");
    return runp(pod);
  }
  std::string create(const std::string& pod_id, const json& pod, const json& ctr) {
    auto name = ctr["metadata"]["name"].get<std::string>();
    auto r = daemon->crictl({"create", pod_id, write_json("ctr-" + name + ".json", ctr), conf / ("pod-" + pod["metadata"]["name"].get<std::string>() + ".json")});
    EXPECT_EQ(r.status, 0) << r.out << r.err << daemon->berthd().log();
    return trim_end(r.out);
  }
  // create, then start: its ID, "" when either failed (reported).
  std::string start(const std::string& pod_id, const json& pod, const json& ctr) {
    auto id = create(pod_id, pod, ctr);
    auto r = daemon->crictl({"start", id});
    EXPECT_EQ(r.status, 0) << r.out << r.err << daemon->berthd().log();
    return r.status == 0 ? id : "";
  }
  json inspect(const std::vector<std::string>& args) {
    auto r = daemon->crictl(args);
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    auto j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
    return j;
  }
  // exec -s: the command's stdout (crictl prints it, then the empty stderr, each with a newline
  // of its own: both taken off).
  std::string exec(const std::string& cid, std::vector<std::string> cmd) {
    cmd.insert(cmd.begin(), {"exec", "-s", cid});
    auto r = daemon->crictl(cmd);
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    if (r.out.ends_with("\n\n")) r.out.resize(r.out.size() - 2);
    return r.out;
  }
  // Links of a type in the test namespace ("veth").
  std::string links(const std::string& type) { return ns.run({"ip", "-o", "link", "show", "type", type}).out; }

  TestNetns ns{"berth-cri"};
  berth::test::TempDir conf{"berth-cri-pods"};
  std::string bridge = "bcri" + std::to_string(getpid() % 100000);
  std::unique_ptr<CriDaemon> daemon;
};

}  // namespace berth::cri::test
