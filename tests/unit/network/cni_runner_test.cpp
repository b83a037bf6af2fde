// The runner against small scripted plugins: what each is given (stdin, environment), in which
// order they run, what is cached, and how failures read. The real plugins are exercised by
// tests/integration/network/cni_test.cpp.
#include "network/cni_runner.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace berth;
using namespace berth::network;
using nlohmann::json;

namespace {

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class CniRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-cnirun-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
    std::filesystem::create_directories(dir + "/plugins");
    opts.plugin_dirs = {dir + "/empty", dir + "/plugins"};
    opts.cache_dir = dir + "/cache";
    opts.plugin_timeout = std::chrono::seconds(20);
    attach.container_id = "pod1";
    attach.netns = "/run/netns/test-pod";
    attach.args = {{"K8S_POD_NAMESPACE", "default"}, {"K8S_POD_NAME", "web"}, {"IgnoreUnknown", "1"}};
    attach.capability_args = {{"portMappings", cni_port_mappings({{8080, 80, "tcp", ""}})}, {"bandwidth", {{"ingressRate", 1}}}};
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  // A plugin that logs "<name> <command>", saves its stdin and environment, and runs body.
  void plugin(const std::string& name, const std::string& body) {
    std::string p = dir + "/plugins/" + name;
    std::ofstream(p) << "#!/bin/sh\n"
                     << "echo \"" << name << " $CNI_COMMAND\" >> " << dir << "/calls\n"
                     << "cat > " << dir << "/" << name << ".$CNI_COMMAND.stdin\n"
                     << "env > " << dir << "/" << name << ".$CNI_COMMAND.env\n"
                     << body << "\n";
    chmod(p.c_str(), 0755);
  }
  // Prints prevResult back (or result when there is none) on ADD, as real plugins do.
  void passthrough(const std::string& name, const std::string& result) {
    plugin(name, "[ \"$CNI_COMMAND\" = ADD ] && printf '%s' '" + result + "'; exit 0");
  }
  CniNetworkList list(const std::vector<std::string>& types, const std::string& version = "1.0.0") {
    json ps = json::array();
    for (const auto& t : types) ps.push_back({{"type", t}, {"capabilities", {{"portMappings", true}}}, {"prevResult", "forged"}});
    auto r = parse_cni_conflist(json{{"cniVersion", version}, {"name", "testnet"}, {"plugins", ps}}.dump(), "test");
    EXPECT_TRUE(r) << r.error().what();
    return *r;
  }
  json stdin_of(const std::string& name, const std::string& cmd) { return json::parse(slurp(dir + "/" + name + "." + cmd + ".stdin")); }
  std::string calls() { return slurp(dir + "/calls"); }

  std::string dir;
  CniOptions opts;
  CniAttachment attach;
};

const std::string kFirst =
    R"({"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/run/netns/test-pod"}],"ips":[{"address":"10.9.0.2/24","gateway":"10.9.0.1","interface":0}]})";

}  // namespace

TEST_F(CniRunnerTest, AddChainsResultsAndRuntimeConfigAndCachesTheLast) {
  passthrough("first", kFirst);
  plugin("second", std::string("printf '%s' '") + R"({"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/run/netns/test-pod"}],"ips":[{"address":"10.9.0.3/24","interface":0}],"dns":{"nameservers":["10.9.0.1"]}})" + "'");
  CniRunner runner(list({"first", "second"}), opts);
  // The caller's own CNI_* variables never reach a plugin; the rest of its environment does.
  setenv("CNI_IFNAME", "evil0", 1);
  setenv("CNI_STALE", "1", 1);
  auto r = runner.add(attach);
  unsetenv("CNI_IFNAME");
  unsetenv("CNI_STALE");
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->sandbox_ips("eth0"), std::vector<std::string>{"10.9.0.3"}) << "the last plugin's result is the answer";
  EXPECT_EQ(r->dns.nameservers, std::vector<std::string>{"10.9.0.1"});
  EXPECT_EQ(calls(), "first ADD\nsecond ADD\n");

  json s1 = stdin_of("first", "ADD"), s2 = stdin_of("second", "ADD");
  EXPECT_EQ(s1["name"], "testnet");
  EXPECT_EQ(s1["cniVersion"], "1.0.0");
  EXPECT_FALSE(s1.contains("prevResult")) << "the first plugin has no previous result (a forged one is dropped)";
  EXPECT_EQ(s1["runtimeConfig"], json({{"portMappings", {{{"hostPort", 8080}, {"containerPort", 80}, {"protocol", "tcp"}}}}}))
      << "only the declared capability, not bandwidth";
  EXPECT_EQ(s2["prevResult"], json::parse(kFirst));

  std::string env = slurp(dir + "/second.ADD.env");
  for (const char* want : {"CNI_COMMAND=ADD\n", "CNI_CONTAINERID=pod1\n", "CNI_NETNS=/run/netns/test-pod\n", "CNI_IFNAME=eth0\n",
                           "CNI_ARGS=K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;IgnoreUnknown=1\n"})
    EXPECT_NE(env.find(want), std::string::npos) << want << " not in\n" << env;
  EXPECT_NE(env.find("CNI_PATH=" + dir + "/empty:" + dir + "/plugins\n"), std::string::npos) << env;
  EXPECT_EQ(env.find("evil0"), std::string::npos) << env;
  EXPECT_EQ(env.find("CNI_STALE"), std::string::npos) << env;
  EXPECT_NE(env.find("PATH=/"), std::string::npos) << "plugins find iptables through PATH";

  auto cached = runner.cached_result(attach);
  ASSERT_TRUE(cached) << cached.error().what();
  ASSERT_TRUE(*cached);
  EXPECT_EQ((*cached)->sandbox_ips("eth0"), std::vector<std::string>{"10.9.0.3"});
  struct stat st {};
  ASSERT_EQ(stat((opts.cache_dir + "/testnet-pod1-eth0").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(CniRunnerTest, DelRunsInReverseWithTheCachedResultAcrossRunners) {
  passthrough("first", kFirst);
  passthrough("second", kFirst);
  ASSERT_TRUE(CniRunner(list({"first", "second"}), opts).add(attach));
  std::filesystem::remove(dir + "/calls");
  // A new runner (as after a berthd restart) with no capability values of its own.
  CniAttachment again = attach;
  again.capability_args = json::object();
  CniRunner runner(list({"first", "second"}), opts);
  auto r = runner.del(again);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(calls(), "second DEL\nfirst DEL\n");
  EXPECT_EQ(stdin_of("first", "DEL")["prevResult"], json::parse(kFirst));
  EXPECT_EQ(stdin_of("first", "DEL")["runtimeConfig"]["portMappings"][0]["hostPort"], 8080) << "ADD's capability values are reused";
  EXPECT_FALSE(std::filesystem::exists(opts.cache_dir + "/testnet-pod1-eth0"));
  auto none = runner.cached_result(again);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);

  auto second = runner.del(again);
  ASSERT_TRUE(second) << second.error().what();
  EXPECT_FALSE(stdin_of("first", "DEL").contains("prevResult")) << "nothing cached: DEL runs without a result";
}

// The config ADD ran is kept with its result: the runner comes back from the record alone (the
// config file gone), and its DEL runs the same plugins, in reverse, with ADD's result.
TEST_F(CniRunnerTest, TheCachedConfigRunsDelWithoutTheConfigFile) {
  passthrough("first", kFirst);
  passthrough("second", kFirst);
  auto none = CniRunner::from_cache("pod1", "eth0", opts);
  ASSERT_TRUE(none) << none.error().what();
  EXPECT_FALSE(*none) << "no ADD yet: no record";
  ASSERT_TRUE(CniRunner(list({"first", "second"}), opts).add(attach));
  std::filesystem::remove(dir + "/calls");
  auto cached = CniRunner::from_cache("pod1", "eth0", opts);
  ASSERT_TRUE(cached) << cached.error().what();
  ASSERT_TRUE(*cached);
  EXPECT_EQ((*cached)->network().name, "testnet");
  ASSERT_EQ((*cached)->network().plugins.size(), 2u);
  EXPECT_EQ((*cached)->network().plugins[0].capabilities, std::vector<std::string>{"portMappings"});
  EXPECT_FALSE(*CniRunner::from_cache("pod2", "eth0", opts)) << "another container's record is not this one's";
  EXPECT_FALSE(*CniRunner::from_cache("pod1", "eth1", opts));
  auto r = (*cached)->del(attach);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(calls(), "second DEL\nfirst DEL\n");
  EXPECT_EQ(stdin_of("second", "DEL")["prevResult"], json::parse(kFirst));
  EXPECT_FALSE(*CniRunner::from_cache("pod1", "eth0", opts)) << "DEL removed the record";
  // A damaged record is an error naming its file, not a silent "nothing attached".
  std::filesystem::create_directories(opts.cache_dir);
  std::ofstream(opts.cache_dir + "/testnet-pod3-eth0") << "{not json";
  auto bad = CniRunner::from_cache("pod3", "eth0", opts);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().what().find("testnet-pod3-eth0"), std::string::npos) << bad.error().what();
}

TEST_F(CniRunnerTest, APluginErrorIsSurfacedAndTheListIsDeleted) {
  passthrough("first", kFirst);
  plugin("failing", R"([ "$CNI_COMMAND" = DEL ] && exit 0; echo '{"cniVersion":"1.0.0","code":11,"msg":"failed to allocate for range 0","details":"no IP addresses available"}'; echo 'some log' >&2; exit 1)");
  passthrough("third", kFirst);
  CniRunner runner(list({"first", "failing", "third"}), opts);
  auto r = runner.add(attach);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(),
            "cni network testnet: ADD pod1: cni plugin failing: ADD failed: failed to allocate for range 0: no IP addresses available (code 11)");
  EXPECT_EQ(calls(), "first ADD\nfailing ADD\nthird DEL\nfailing DEL\nfirst DEL\n");
  EXPECT_FALSE(std::filesystem::exists(opts.cache_dir + "/testnet-pod1-eth0"));
}

TEST_F(CniRunnerTest, FailuresWithoutAnErrorObjectShowStderrAndStatus) {
  plugin("crashing", "echo 'panic: nil map' >&2; exit 2");
  auto r = CniRunner(list({"crashing"}), opts).add(attach);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find("cni plugin crashing: ADD failed (exit status 2): panic: nil map"), std::string::npos) << r.error().what();
  plugin("garbage", "[ \"$CNI_COMMAND\" = ADD ] && echo 'not json'; exit 0");
  auto g = CniRunner(list({"garbage"}), opts).add(attach);
  ASSERT_FALSE(g);
  EXPECT_NE(g.error().what().find("cni plugin garbage: ADD result: invalid JSON"), std::string::npos) << g.error().what();
  plugin("badresult", R"([ "$CNI_COMMAND" = ADD ] && echo '{"cniVersion":"1.0.0","ips":[{"address":"10.0.0.1"}]}'; exit 0)");
  auto b = CniRunner(list({"badresult"}), opts).add(attach);
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().what().find("cni plugin badresult: ADD result: ips[0].address"), std::string::npos) << b.error().what();
}

TEST_F(CniRunnerTest, AMissingPluginRunsNothing) {
  passthrough("first", kFirst);
  auto r = CniRunner(list({"first", "absent"}), opts).add(attach);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::NotFound);
  EXPECT_NE(r.error().what().find("cni plugin absent not found in " + dir + "/empty:" + dir + "/plugins"), std::string::npos)
      << r.error().what();
  EXPECT_FALSE(std::filesystem::exists(dir + "/calls")) << calls();
}

TEST_F(CniRunnerTest, ASlowPluginIsKilledWithWhatItStarted) {
  // The plugin's child (an IPAM plugin, say) is in its process group and dies with it.
  plugin("slow", "sleep 30 & echo $! > " + dir + "/child.pid; wait");
  opts.plugin_timeout = std::chrono::milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  auto r = CniRunner(list({"slow"}), opts).add(attach);
  ASSERT_FALSE(r);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_NE(r.error().what().find("cni plugin slow: ADD timed out after 300 ms"), std::string::npos) << r.error().what();
  pid_t child = std::stoi(slurp(dir + "/child.pid"));
  // SIGKILL is on its way to it (a killed process takes a moment to end): its pidfd turns
  // readable when it has exited. ESRCH: already gone.
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, child, 0));
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    EXPECT_EQ(poll(&p, 1, 5000), 1) << "the plugin's child " << child << " outlived it: " << slurp("/proc/" + std::to_string(child) + "/stat");
    close(pidfd);
  } else {
    EXPECT_EQ(errno, ESRCH);
  }
}

TEST_F(CniRunnerTest, HostileNamesAreRefusedBeforeAnythingRuns) {
  passthrough("first", kFirst);
  CniRunner runner(list({"first"}), opts);
  auto bad = [&](CniAttachment a, const char* expect) {
    auto r = runner.add(a);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
    EXPECT_NE(r.error().what().find(expect), std::string::npos) << r.error().what();
  };
  CniAttachment a = attach;
  a.container_id = "../../etc/x";
  bad(a, "cni container id \"../../etc/x\"");
  a = attach;
  a.container_id = "";
  bad(a, "cni container id \"\"");
  a = attach;
  a.ifname = "../eth0";
  bad(a, "cni interface name \"../eth0\"");
  a = attach;
  a.ifname = "averyveryverylongname";
  bad(a, "cni interface name");
  a = attach;
  a.args = {{"K8S_POD_NAME", "web;K8S_POD_NAMESPACE=kube-system"}};
  bad(a, "cni argument");
  EXPECT_FALSE(runner.del(a)) << "DEL refuses them too";
  a = attach;
  a.netns = "";
  bad(a, "cni ADD needs the sandbox's network namespace path");
  EXPECT_FALSE(std::filesystem::exists(dir + "/calls"));
}

TEST_F(CniRunnerTest, CheckPassesTheCachedResult) {
  passthrough("first", kFirst);
  CniRunner runner(list({"first"}), opts);
  auto none = runner.check(attach);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().what().find("no cached ADD result"), std::string::npos) << none.error().what();
  ASSERT_TRUE(runner.add(attach));
  auto r = runner.check(attach);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(stdin_of("first", "CHECK")["prevResult"], json::parse(kFirst));
  auto old = CniRunner(list({"first"}, "0.3.1"), opts).check(attach);
  ASSERT_FALSE(old);
  EXPECT_NE(old.error().what().find("CHECK needs cniVersion 0.4.0 or later"), std::string::npos);
  ASSERT_TRUE(runner.del(attach));
}

TEST_F(CniRunnerTest, AResultInAnotherVersionIsConvertedForTheNextPlugin) {
  passthrough("old", R"({"cniVersion":"0.4.0","interfaces":[{"name":"eth0","sandbox":"/n"}],"ips":[{"version":"4","address":"10.9.0.2/24","interface":0}]})");
  passthrough("next", kFirst);
  auto r = CniRunner(list({"old", "next"}), opts).add(attach);
  ASSERT_TRUE(r) << r.error().what();
  auto prev = stdin_of("next", "ADD")["prevResult"];
  EXPECT_EQ(prev["cniVersion"], "1.0.0");
  EXPECT_FALSE(prev["ips"][0].contains("version")) << prev.dump();
}
