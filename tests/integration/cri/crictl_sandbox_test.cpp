// A pod sandbox beyond its lifecycle, through crictl: its stats (statsp), the namespaces its
// containers share with it (uts with the pod's hostname, ipc), the Docker API refusing to
// remove it, and StopPodSandbox after the CNI config was removed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cri/crictl_pods_fixture.hpp"

using namespace berth::cri::test;
using nlohmann::json;

namespace {

// crictl prints protobuf's JSON: 64-bit numbers are strings.
uint64_t u64(const json& j) {
  if (j.is_string()) return std::stoull(j.get<std::string>());
  return j.is_number() ? j.get<uint64_t>() : 0;
}

json sleeper(const std::string& name) {
  return {{"metadata", {{"name", name}}}, {"image", {{"image", "busybox"}}}, {"command", {"sleep", "3600"}}};
}

std::string readlink_of(const std::string& path) {
  std::error_code ec;
  auto target = std::filesystem::read_symlink(path, ec);
  return ec ? "" : target.string();
}

}  // namespace

TEST_F(CrictlPods, PodStatsSumThePodAndShowItsNetwork) {
  json pod;
  auto pod_id = runp_named("stats", pod);
  ASSERT_EQ(pod_id.size(), 64u);
  // A shell holding 8 MiB in a variable, with a sleep as its child: three processes with pause.
  json ctr = {{"metadata", {{"name", "hog"}}},
              {"image", {{"image", "busybox"}}},
              {"command", {"sh", "-c", "x=$(head -c 8388608 /dev/zero | tr '\\0' a); while :; do sleep 3600; done"}}};
  auto cid = start(pod_id, pod, ctr);
  ASSERT_EQ(cid.size(), 64u);
  json other_pod;
  auto other_id = runp_named("other", other_pod);
  ASSERT_EQ(other_id.size(), 64u);
  // Traffic into the pod (a connection to a closed port: ARP, SYN and the pod's RST) is counted.
  auto ip = inspect({"inspectp", "-o", "json", pod_id})["status"]["network"]["ip"].get<std::string>();
  auto refused = ns.run({"wget", "-q", "-T", "2", "-O", "-", "http://" + ip + ":1/"});
  EXPECT_NE(refused.status, 0);
  json s;
  ASSERT_TRUE(berth::test::wait_until(
      [&] {
        s = inspect({"statsp", "-o", "json", "--id", pod_id});
        if (s["stats"].size() != 1) return false;
        const auto& lx = s["stats"][0]["linux"];
        return u64(lx["memory"]["workingSetBytes"]["value"]) >= (8u << 20) &&
               u64(lx["process"]["processCount"]["value"]) == 3;
      },
      std::chrono::seconds(20)))
      << "the pod never showed the 8 MiB its shell holds and its 3 processes (pause, sh, sleep):\n"
      << s.dump(2);
  const auto& st = s["stats"][0];
  EXPECT_EQ(st["attributes"]["id"], pod_id);
  EXPECT_EQ(st["attributes"]["metadata"]["name"], "stats");
  EXPECT_EQ(st["attributes"]["labels"]["app"], "stats");
  const auto& lx = st["linux"];
  EXPECT_GT(u64(lx["cpu"]["usageCoreNanoSeconds"]["value"]), 0u) << lx.dump(2);
  EXPECT_GT(u64(lx["cpu"]["timestamp"]), 0u);
  EXPECT_EQ(lx["network"]["defaultInterface"]["name"], "eth0") << lx.dump(2);
  EXPECT_GT(u64(lx["network"]["defaultInterface"]["rxBytes"]["value"]), 0u) << lx.dump(2);
  EXPECT_GT(u64(lx["network"]["defaultInterface"]["txBytes"]["value"]), 0u) << "the pod answered the connection";
  // Its one container, with its own share of it.
  ASSERT_EQ(lx["containers"].size(), 1u) << lx.dump(2);
  EXPECT_EQ(lx["containers"][0]["attributes"]["id"], cid);
  uint64_t ctr_ws = u64(lx["containers"][0]["memory"]["workingSetBytes"]["value"]);
  EXPECT_GE(ctr_ws, 8u << 20);
  EXPECT_GE(u64(lx["memory"]["workingSetBytes"]["value"]), ctr_ws) << "the pod's is its pause's and containers' sum";

  // Filters: the id, a label; the list holds both ready pods.
  EXPECT_EQ(inspect({"statsp", "-o", "json"})["stats"].size(), 2u);
  auto by_label = inspect({"statsp", "-o", "json", "--label", "app=other"});
  ASSERT_EQ(by_label["stats"].size(), 1u);
  EXPECT_EQ(by_label["stats"][0]["attributes"]["id"], other_id);
  EXPECT_EQ(by_label["stats"][0]["linux"]["containers"].size(), 0u);
  EXPECT_EQ(inspect({"statsp", "-o", "json", "--label", "app=none"})["stats"].size(), 0u);
  // crictl's table computes CPU % from two samples a second apart.
  auto table = daemon->crictl({"statsp", "--id", pod_id});
  EXPECT_EQ(table.status, 0) << table.err;
  EXPECT_NE(table.out.find("stats"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find(pod_id.substr(0, 13)), std::string::npos) << table.out;

  // A stopped pod is left out of the list.
  ASSERT_EQ(daemon->crictl({"stopp", other_id}).status, 0);
  auto after = inspect({"statsp", "-o", "json"});
  ASSERT_EQ(after["stats"].size(), 1u);
  EXPECT_EQ(after["stats"][0]["attributes"]["id"], pod_id);
  EXPECT_EQ(daemon->crictl({"rmp", "-f", pod_id}).status, 0);
  EXPECT_EQ(daemon->crictl({"rmp", other_id}).status, 0);
}

TEST_F(CrictlPods, ContainersShareThePodsUtsAndIpc) {
  json pod;
  auto pod_id = runp_named("shared", pod);
  ASSERT_EQ(pod_id.size(), 64u);
  auto a = start(pod_id, pod, sleeper("a")), b = start(pod_id, pod, sleeper("b"));
  ASSERT_EQ(a.size(), 64u);
  ASSERT_EQ(b.size(), 64u);
  auto info = inspect({"inspectp", "-o", "json", pod_id});
  ASSERT_TRUE(info["info"]["pid"].is_number()) << info.dump(2);
  std::string pause = "/proc/" + std::to_string(info["info"]["pid"].get<int>());
  std::string pause_uts = readlink_of(pause + "/ns/uts"), pause_ipc = readlink_of(pause + "/ns/ipc");
  ASSERT_NE(pause_uts, "");
  ASSERT_NE(readlink_of("/proc/self/ns/uts"), pause_uts) << "the pod has a uts namespace of its own";
  for (auto& cid : {a, b}) {
    EXPECT_EQ(exec(cid, {"readlink", "/proc/self/ns/uts"}), pause_uts + "\n") << "its own uts namespace, not the pod's";
    EXPECT_EQ(exec(cid, {"readlink", "/proc/self/ns/ipc"}), pause_ipc + "\n");
    // The pod's hostname, through the streaming server as through ExecSync.
    auto streamed = daemon->crictl({"exec", cid, "hostname"});
    EXPECT_EQ(streamed.status, 0) << streamed.err;
    EXPECT_EQ(streamed.out, "shared-host\n");
  }
  auto cs = daemon->berthd().docker({"inspect", "-f", "{{.Config.Hostname}} {{.HostConfig.UTSMode}}", a});
  EXPECT_EQ(cs.out, "shared-host container:" + pod_id + "\n") << cs.err;
  // A container made when the pod is not ready cannot join it (and is not made).
  ASSERT_EQ(daemon->crictl({"stopp", pod_id}).status, 0);
  auto late =
      daemon->crictl({"create", pod_id, write_json("ctr-late.json", sleeper("late")), conf / "pod-shared.json"});
  EXPECT_NE(late.status, 0);
  EXPECT_NE(late.err.find("not ready"), std::string::npos) << late.err;
  EXPECT_EQ(daemon->crictl({"rmp", pod_id}).status, 0);
}

TEST_F(CrictlPods, TheDockerApiRefusesToRemoveAPodSandbox) {
  json pod;
  auto pod_id = runp_named("guarded", pod);
  ASSERT_EQ(pod_id.size(), 64u);
  auto cid = start(pod_id, pod, sleeper("app"));
  ASSERT_EQ(cid.size(), 64u);
  auto netns = daemon->berthd().path("exec/netns/" + pod_id);
  ASSERT_TRUE(std::filesystem::exists(netns));

  for (const auto& client : {berth::api::test::kDocker28, berth::api::test::kDocker20}) {
    auto rm = daemon->berthd().docker({"rm", "-f", pod_id}, client);
    EXPECT_NE(rm.status, 0) << client << ": " << rm.out;
    EXPECT_NE(rm.err.find("sandbox of a Kubernetes pod"), std::string::npos) << client << ": " << rm.err;
    EXPECT_NE(rm.err.find("crictl rmp " + pod_id), std::string::npos) << rm.err;
  }
  auto berth_rm = berth::test::run(
      {"env", "BERTH_HOST=" + daemon->berthd().host(), berth::test::bin("berth"), "rm", "-f", pod_id.substr(0, 12)});
  EXPECT_NE(berth_rm.status, 0);
  EXPECT_NE(berth_rm.err.find("owned by berthd's CRI"), std::string::npos) << berth_rm.err;
  // Nothing changed: the pod runs, in its namespace.
  auto st = inspect({"inspectp", "-o", "json", pod_id});
  EXPECT_EQ(st["status"]["state"], "SANDBOX_READY");
  EXPECT_TRUE(std::filesystem::exists(netns));
  EXPECT_EQ(exec(cid, {"hostname"}), "guarded-host\n");
  // The pod's own containers are the Docker API's to remove, as dockerd's are.
  auto rm_ctr = daemon->berthd().docker({"rm", "-f", cid});
  EXPECT_EQ(rm_ctr.status, 0) << rm_ctr.err;
  // A stopped sandbox is refused too, and a prune asked for the CRI's namespace leaves it.
  ASSERT_EQ(daemon->crictl({"stopp", pod_id}).status, 0);
  EXPECT_NE(daemon->berthd().docker({"rm", pod_id}).status, 0);
  auto prune = daemon->berthd().docker({"container", "prune", "-f", "--filter", "label=io.berth.namespace=k8s.io"});
  EXPECT_EQ(prune.status, 0) << prune.err;
  EXPECT_EQ(prune.out.find(pod_id), std::string::npos) << prune.out;
  EXPECT_EQ(inspect({"pods", "-o", "json"})["items"].size(), 1u);
  EXPECT_EQ(daemon->crictl({"rmp", pod_id}).status, 0);
  EXPECT_FALSE(std::filesystem::exists(netns));
}

TEST_F(CrictlPods, StopPodSandboxAfterTheCniConfigWasRemoved) {
  auto pod = pod_config("orphan", "uid-orphan-1");
  auto pod_id = runp(pod);
  ASSERT_EQ(pod_id.size(), 64u);
  auto ip = inspect({"inspectp", "-o", "json", pod_id})["status"]["network"]["ip"].get<std::string>();
  ASSERT_TRUE(ip.starts_with("10.243.77.")) << ip;
  ASSERT_NE(links("veth"), "");
  std::filesystem::remove(conf / "net.d/10-test.conflist");
  auto info = inspect({"info"});
  EXPECT_EQ(info["status"]["conditions"][1]["status"], false) << "no config: the network is not ready";
  // The pod keeps its address (from ADD's cached result), and stops releasing it all.
  EXPECT_EQ(inspect({"inspectp", "-o", "json", pod_id})["status"]["network"]["ip"], ip);
  auto stopp = daemon->crictl({"stopp", pod_id});
  ASSERT_EQ(stopp.status, 0) << stopp.out << stopp.err << daemon->berthd().log();
  EXPECT_EQ(inspect({"inspectp", "-o", "json", pod_id})["status"]["state"], "SANDBOX_NOTREADY");
  EXPECT_EQ(links("veth"), "") << "the bridge plugin's DEL did not run";
  size_t ipam_files = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(conf / "ipam"))
    if (e.is_regular_file() && e.path().filename().string().starts_with("10.")) ++ipam_files;
  EXPECT_EQ(ipam_files, 0u) << "host-local's DEL did not release " << ip;
  auto hostport = ns.run({"sh", "-c", "iptables-save 2>/dev/null | grep -c 18080 || true"});
  EXPECT_EQ(hostport.out, "0\n") << "portmap's DEL left its rules";
  EXPECT_FALSE(std::filesystem::exists(daemon->berthd().path("exec/netns/" + pod_id)));
  auto cache_dir = daemon->berthd().path("data/cri/cni-results");
  EXPECT_TRUE(!std::filesystem::exists(cache_dir) || std::filesystem::is_empty(cache_dir));
  EXPECT_EQ(daemon->crictl({"stopp", pod_id}).status, 0);  // again: nothing left to do
  EXPECT_EQ(daemon->crictl({"rmp", pod_id}).status, 0);
}
