// crictl (cri-tools 1.26) driving pods and their containers on berthd: runp with a CNI network
// of the test's own (bridge, host-local, loopback, portmap from Debian's plugins), create,
// start, exec (sync, with a timeout), ps, inspect, stop, rm, stopp, rmp, the security context
// checked from inside, and nothing left afterwards. berthd runs in a network namespace of the
// test's own, so the pods' bridge, veths and portmap's iptables rules never touch the host.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cri/crictl_pods_fixture.hpp"

using namespace berth::cri::test;
using nlohmann::json;

TEST_F(CrictlPods, PodLifecycleWithAContainer) {
  auto info = inspect({"info"});
  EXPECT_EQ(info["status"]["conditions"][1]["type"], "NetworkReady");
  EXPECT_EQ(info["status"]["conditions"][1]["status"], true) << info.dump();

  auto pod = pod_config("web", "uid-web-1");
  auto pod_id = runp(pod);
  ASSERT_EQ(pod_id.size(), 64u);
  auto st = inspect({"inspectp", "-o", "json", pod_id});
  EXPECT_EQ(st["status"]["state"], "SANDBOX_READY");
  EXPECT_EQ(st["status"]["metadata"]["name"], "web");
  EXPECT_EQ(st["status"]["labels"]["app"], "web");
  EXPECT_EQ(st["status"]["annotations"]["berth.test/note"], "kept as is");
  std::string ip = st["status"]["network"]["ip"].get<std::string>();
  ASSERT_TRUE(ip.starts_with("10.243.77.")) << st.dump(2);
  EXPECT_NE(links("veth"), "");
  // Listed, and invisible to the Docker API's list unless asked for.
  auto pods = inspect({"pods", "-o", "json"});
  ASSERT_EQ(pods["items"].size(), 1u);
  EXPECT_EQ(pods["items"][0]["id"], pod_id);
  auto ps = daemon->berthd().docker({"ps", "-aq"});
  EXPECT_EQ(ps.status, 0) << ps.err;
  EXPECT_EQ(ps.out, "");
  auto ps_ns = daemon->berthd().docker({"ps", "-aq", "--no-trunc", "--filter", "label=io.berth.namespace=k8s.io"});
  EXPECT_NE(ps_ns.out.find(pod_id), std::string::npos) << ps_ns.out;

  json ctr = {{"metadata", {{"name", "app"}}},
              {"image", {{"image", "busybox"}}},
              {"command", {"/bin/sh", "-c", "httpd -p 80 -h /etc; exec sleep 3600"}},
              {"envs", {{{"key", "GREETING"}, {"value", "hello"}}}},
              {"labels", {{"tier", "front"}}},
              {"log_path", "app/0.log"},
              {"linux", json::object()}};
  auto cid = create(pod_id, pod, ctr);
  ASSERT_EQ(cid.size(), 64u);
  auto start = daemon->crictl({"start", cid});
  ASSERT_EQ(start.status, 0) << start.out << start.err << daemon->berthd().log();
  auto cs = inspect({"inspect", "-o", "json", cid});
  EXPECT_EQ(cs["status"]["state"], "CONTAINER_RUNNING");
  EXPECT_EQ(cs["status"]["labels"]["tier"], "front");
  EXPECT_EQ(cs["status"]["logPath"], conf / "logs/app/0.log");
  // Inside: the pod's hostname, DNS settings, env and network.
  EXPECT_EQ(exec(cid, {"hostname"}), "web-host\n");
  auto resolv = exec(cid, {"cat", "/etc/resolv.conf"});
  EXPECT_NE(resolv.find("nameserver 10.96.0.10"), std::string::npos) << resolv;
  EXPECT_NE(resolv.find("search default.svc.cluster.local"), std::string::npos) << resolv;
  EXPECT_NE(resolv.find("options ndots:5"), std::string::npos) << resolv;
  EXPECT_EQ(exec(cid, {"sh", "-c", "echo $GREETING"}), "hello\n");
  auto addr = exec(cid, {"ip", "-o", "-4", "addr", "show", "eth0"});
  EXPECT_NE(addr.find(ip + "/24"), std::string::npos) << addr;
  // The pod answers from the test's namespace (where berthd and the CNI bridge are) ...
  bool reached = berth::test::wait_until(
      [&] { return ns.run({"wget", "-q", "-O", "-", "-T", "2", "http://" + ip + ":80/hostname"}).out == "web-host\n"; },
      std::chrono::seconds(10));
  EXPECT_TRUE(reached) << "the pod's httpd did not answer on " << ip;
  // ... and its host port reaches the container through portmap (on the bridge's gateway address).
  bool served = berth::test::wait_until(
      [&] { return ns.run({"wget", "-q", "-O", "-", "-T", "2", "http://10.243.77.1:18080/hostname"}).out == "web-host\n"; },
      std::chrono::seconds(10));
  EXPECT_TRUE(served) << "the host port 18080 did not reach the pod's httpd";
  // Exit codes and stderr come back apart; the timeout kills the command.
  // (crictl reports a failed command with its exit code and stderr, and fails itself.)
  auto failing = daemon->crictl({"exec", "-s", cid, "sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_NE(failing.status, 0) << failing.out << failing.err;
  EXPECT_NE(failing.err.find("exited with 3: err"), std::string::npos) << failing.err;
  auto t0 = std::chrono::steady_clock::now();
  auto slow = daemon->crictl({"exec", "-s", "--timeout", "1", cid, "sleep", "30"});
  EXPECT_NE(slow.status, 0);
  EXPECT_NE(slow.err.find("timeout"), std::string::npos) << slow.err;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20));
  auto procs = exec(cid, {"ps", "-o", "args"});
  EXPECT_EQ(procs.find("sleep 30"), std::string::npos) << "the timed-out command still runs:\n" << procs;

  auto listed = inspect({"ps", "-a", "-o", "json", "--pod", pod_id});
  ASSERT_EQ(listed["containers"].size(), 1u);
  EXPECT_EQ(listed["containers"][0]["id"], cid);
  auto stats = inspect({"stats", "-o", "json", "--id", cid});
  ASSERT_EQ(stats["stats"].size(), 1u) << stats.dump();
  EXPECT_EQ(stats["stats"][0]["attributes"]["id"], cid);

  auto stop = daemon->crictl({"stop", "--timeout", "2", cid});
  EXPECT_EQ(stop.status, 0) << stop.err;
  cs = inspect({"inspect", "-o", "json", cid});
  EXPECT_EQ(cs["status"]["state"], "CONTAINER_EXITED");
  EXPECT_EQ(daemon->crictl({"stop", cid}).status, 0);  // again: nothing to do
  auto rm = daemon->crictl({"rm", cid});
  EXPECT_EQ(rm.status, 0) << rm.err;
  EXPECT_EQ(inspect({"ps", "-a", "-o", "json"})["containers"].size(), 0u);

  auto stopp = daemon->crictl({"stopp", pod_id});
  EXPECT_EQ(stopp.status, 0) << stopp.err;
  EXPECT_EQ(inspect({"inspectp", "-o", "json", pod_id})["status"]["state"], "SANDBOX_NOTREADY");
  EXPECT_EQ(daemon->crictl({"stopp", pod_id}).status, 0);  // idempotent
  EXPECT_EQ(links("veth"), "");
  auto rmp = daemon->crictl({"rmp", pod_id});
  EXPECT_EQ(rmp.status, 0) << rmp.err;
  EXPECT_EQ(inspect({"pods", "-o", "json"})["items"].size(), 0u);
  // Nothing is left: no namespace, no container directory, no address taken.
  auto netns_dir = daemon->berthd().path("exec/netns");
  EXPECT_TRUE(!std::filesystem::exists(netns_dir) || std::filesystem::is_empty(netns_dir));
  auto ps_all = daemon->berthd().docker({"ps", "-aq", "--filter", "label=io.berth.namespace=k8s.io"});
  EXPECT_EQ(ps_all.out, "");
  size_t ipam_files = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(conf / "ipam"))
    if (e.is_regular_file() && e.path().filename().string().starts_with("10.")) ++ipam_files;
  EXPECT_EQ(ipam_files, 0u);
}

TEST_F(CrictlPods, SecurityContextSeenFromInside) {
  auto pod = pod_config("sec", "uid-sec-1");
  auto pod_id = runp(pod);
  ASSERT_EQ(pod_id.size(), 64u);
  json locked = {{"metadata", {{"name", "locked"}}},
                 {"image", {{"image", "busybox"}}},
                 {"command", {"sleep", "3600"}},
                 {"linux",
                  {{"security_context",
                    {{"readonly_rootfs", true},
                     {"no_new_privs", true},
                     {"capabilities", {{"drop_capabilities", {"ALL"}}, {"add_capabilities", {"NET_BIND_SERVICE"}}}},
                     {"seccomp", {{"profile_type", 0}}}}}}}};
  auto a = create(pod_id, pod, locked);
  ASSERT_EQ(daemon->crictl({"start", a}).status, 0) << daemon->berthd().log();
  auto status = exec(a, {"cat", "/proc/self/status"});
  EXPECT_NE(status.find("CapEff:\t0000000000000400"), std::string::npos) << status;
  EXPECT_NE(status.find("NoNewPrivs:\t1"), std::string::npos) << status;
  EXPECT_NE(status.find("Seccomp:\t2"), std::string::npos) << status;
  auto write = daemon->crictl({"exec", "-s", a, "touch", "/written"});
  EXPECT_NE(write.status, 0);
  EXPECT_NE((write.out + write.err).find("Read-only file system"), std::string::npos) << write.out << write.err;

  json user = {{"metadata", {{"name", "user"}}},
               {"image", {{"image", "busybox"}}},
               {"command", {"sleep", "3600"}},
               {"linux",
                {{"security_context",
                  {{"run_as_user", {{"value", 1000}}},
                   {"run_as_group", {{"value", 2000}}},
                   {"supplemental_groups", {3000}},
                   {"seccomp", {{"profile_type", 1}}}}}}}};
  auto b = create(pod_id, pod, user);
  ASSERT_EQ(daemon->crictl({"start", b}).status, 0) << daemon->berthd().log();
  auto id = exec(b, {"id"});
  EXPECT_NE(id.find("uid=1000"), std::string::npos) << id;
  EXPECT_NE(id.find("gid=2000"), std::string::npos) << id;
  EXPECT_NE(id.find("3000"), std::string::npos) << id;
  auto ustatus = exec(b, {"cat", "/proc/self/status"});
  EXPECT_NE(ustatus.find("Seccomp:\t0"), std::string::npos) << ustatus;  // unconfined
  // Both share the pod's pid namespace: the other's sleep is visible, pause is pid 1.
  auto procs = exec(b, {"cat", "/proc/1/cmdline"});
  EXPECT_EQ(procs.substr(0, 6), "/pause") << procs;

  auto rmp = daemon->crictl({"rmp", "-f", pod_id});
  EXPECT_EQ(rmp.status, 0) << rmp.err;
  EXPECT_EQ(inspect({"ps", "-a", "-o", "json"})["containers"].size(), 0u);
  EXPECT_EQ(links("veth"), "");
}

TEST_F(CrictlPods, BadRequestsAreRefusedAndChangeNothing) {
  auto pod = pod_config("bad", "uid-bad-1");
  pod["hostname"] = "";
  auto r = daemon->crictl({"runp", write_json("pod-bad.json", pod)});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("config.hostname"), std::string::npos) << r.err;
  pod = pod_config("bad", "uid-bad-1");
  pod["metadata"]["name"] = "../../escape";
  r = daemon->crictl({"runp", write_json("pod-bad.json", pod)});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("not a valid name"), std::string::npos) << r.err;
  // A namespace that would smuggle an argument into the plugins' CNI_ARGS ("K=V;K=V").
  pod = pod_config("bad", "uid-bad-1");
  pod["metadata"]["namespace"] = "default;IP=10.243.77.99";
  r = daemon->crictl({"runp", write_json("pod-bad.json", pod)});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("not a valid name"), std::string::npos) << r.err;
  EXPECT_EQ(inspect({"pods", "-o", "json"})["items"].size(), 0u);
  EXPECT_EQ(links("veth"), "");
  // (Removing what is not there: cri_server_test, crictl asks for its status first.)
  EXPECT_NE(daemon->crictl({"inspectp", std::string(64, 'a')}).status, 0);
}

TEST_F(CrictlPods, PodsSurviveABerthdRestart) {
  auto pod = pod_config("durable", "uid-durable-1");
  auto pod_id = runp(pod);
  ASSERT_EQ(pod_id.size(), 64u);
  auto ip = inspect({"inspectp", "-o", "json", pod_id})["status"]["network"]["ip"].get<std::string>();
  json ctr = {{"metadata", {{"name", "app"}}}, {"image", {{"image", "busybox"}}}, {"command", {"sleep", "3600"}}};
  auto cid = create(pod_id, pod, ctr);
  ASSERT_EQ(daemon->crictl({"start", cid}).status, 0) << daemon->berthd().log();

  auto& d = daemon->berthd();
  d.stop();
  ASSERT_TRUE(d.start()) << d.log();
  ASSERT_TRUE(berth::test::wait_until([&] { return daemon->crictl({"version"}).status == 0; }, std::chrono::seconds(20)))
      << d.log();
  auto st = inspect({"inspectp", "-o", "json", pod_id});
  EXPECT_EQ(st["status"]["state"], "SANDBOX_READY");
  EXPECT_EQ(st["status"]["network"]["ip"], ip);  // from the CNI result cached at ADD
  EXPECT_EQ(inspect({"inspect", "-o", "json", cid})["status"]["state"], "CONTAINER_RUNNING");
  EXPECT_EQ(exec(cid, {"hostname"}), "durable-host\n");
  // Its network is still taken down by stopp, from the cached result.
  EXPECT_EQ(daemon->crictl({"stopp", pod_id}).status, 0);
  EXPECT_EQ(links("veth"), "");
  EXPECT_EQ(daemon->crictl({"rmp", pod_id}).status, 0);
}

TEST_F(CrictlPods, ResourcesMountsDevicesAndExitStatus) {
  auto pod = pod_config("res", "uid-res-1");
  auto pod_id = runp(pod);
  ASSERT_EQ(pod_id.size(), 64u);
  berth::test::TempDir shared("berth-cri-mount");
  berth::test::write_text(shared / "file", "from the host\n");
  json ctr = {{"metadata", {{"name", "app"}}},
              {"image", {{"image", "busybox"}}},
              {"command", {"sleep", "3600"}},
              {"mounts", {{{"host_path", shared.path()}, {"container_path", "/data"}, {"readonly", true}, {"propagation", 1}}}},
              {"devices", {{{"host_path", "/dev/null"}, {"container_path", "/dev/mynull"}, {"permissions", "rwm"}}}},
              {"linux", {{"resources", {{"memory_limit_in_bytes", 64 << 20}, {"cpu_shares", 512}}}}}};
  auto cid = create(pod_id, pod, ctr);
  ASSERT_EQ(daemon->crictl({"start", cid}).status, 0) << daemon->berthd().log();
  EXPECT_EQ(exec(cid, {"cat", "/data/file"}), "from the host\n");
  auto w = daemon->crictl({"exec", "-s", cid, "touch", "/data/new"});
  EXPECT_NE(w.status, 0);
  EXPECT_NE(w.err.find("Read-only file system"), std::string::npos) << w.err;
  auto mounts = exec(cid, {"cat", "/proc/self/mountinfo"});
  EXPECT_NE(mounts.find(" /data ro,"), std::string::npos) << mounts;
  // HOST_TO_CONTAINER is rslave in the container's spec.
  auto spec = json::parse(berth::test::read_text(daemon->berthd().path("data/containers/" + cid + "/bundle/config.json")));
  bool rslave = false;
  for (auto& m : spec["mounts"])
    if (m["destination"] == "/data")
      for (auto& o : m["options"]) rslave = rslave || o == "rslave";
  EXPECT_TRUE(rslave) << spec["mounts"].dump();
  EXPECT_EQ(exec(cid, {"sh", "-c", "echo x > /dev/mynull && echo ok"}), "ok\n");
  auto mem = exec(cid, {"sh", "-c", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max"});
  EXPECT_EQ(mem, std::to_string(64 << 20) + "\n");
  auto st = inspect({"inspect", "-o", "json", cid});
  ASSERT_EQ(st["status"]["mounts"].size(), 1u) << st.dump(2);
  EXPECT_EQ(st["status"]["mounts"][0]["containerPath"], "/data");
  // UpdateContainerResources reaches the running cgroup.
  auto up = daemon->crictl({"update", "--memory", std::to_string(128 << 20), cid});
  EXPECT_EQ(up.status, 0) << up.out << up.err;
  mem = exec(cid, {"sh", "-c", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max"});
  EXPECT_EQ(mem, std::to_string(128 << 20) + "\n");

  // A container that ends on its own: its exit code and reason.
  json quick = {{"metadata", {{"name", "quick"}}}, {"image", {{"image", "busybox"}}}, {"command", {"sh", "-c", "exit 3"}}};
  auto qid = create(pod_id, pod, quick);
  ASSERT_EQ(daemon->crictl({"start", qid}).status, 0);
  json qs;
  EXPECT_TRUE(berth::test::wait_until(
      [&] {
        qs = inspect({"inspect", "-o", "json", qid});
        return qs["status"]["state"] == "CONTAINER_EXITED";
      },
      std::chrono::seconds(20)))
      << qs.dump(2);
  EXPECT_EQ(qs["status"]["exitCode"], 3);
  EXPECT_EQ(qs["status"]["reason"], "Error");
  // The Docker side's prune leaves the CRI's exited containers alone; inspect shows them.
  auto prune = daemon->berthd().docker({"container", "prune", "-f"});
  EXPECT_EQ(prune.status, 0) << prune.err;
  EXPECT_EQ(inspect({"inspect", "-o", "json", qid})["status"]["state"], "CONTAINER_EXITED");
  auto pause = daemon->berthd().docker({"inspect", "-f", "{{.Config.Image}} {{.HostConfig.ReadonlyRootfs}}", pod_id});
  EXPECT_EQ(pause.out, "berth-pause true\n") << pause.err;
  // One the OOM killer ends: OOMKilled.
  json hog = {{"metadata", {{"name", "hog"}}},
              {"image", {{"image", "busybox"}}},
              {"command", {"sh", "-c", "x=$(head -c 268435456 /dev/zero | tr '\\0' a); echo survived"}},
              {"linux", {{"resources", {{"memory_limit_in_bytes", 16 << 20}, {"memory_swap_limit_in_bytes", 16 << 20}}}}}};
  auto hid = create(pod_id, pod, hog);
  ASSERT_EQ(daemon->crictl({"start", hid}).status, 0);
  json hs;
  EXPECT_TRUE(berth::test::wait_until(
      [&] {
        hs = inspect({"inspect", "-o", "json", hid});
        return hs["status"]["state"] == "CONTAINER_EXITED";
      },
      std::chrono::seconds(30)))
      << hs.dump(2);
  EXPECT_EQ(hs["status"]["reason"], "OOMKilled") << hs.dump(2);
  EXPECT_EQ(daemon->crictl({"rm", hid}).status, 0);
  // Filters: by state and label.
  auto exited = inspect({"ps", "-a", "-o", "json", "--state", "exited"});
  ASSERT_EQ(exited["containers"].size(), 1u);
  EXPECT_EQ(exited["containers"][0]["id"], qid);
  EXPECT_EQ(inspect({"pods", "-o", "json", "--label", "app=res"})["items"].size(), 1u);
  EXPECT_EQ(inspect({"pods", "-o", "json", "--label", "app=other"})["items"].size(), 0u);
  EXPECT_EQ(inspect({"pods", "-o", "json", "--id", pod_id.substr(0, 12)})["items"].size(), 1u);
  EXPECT_EQ(inspect({"pods", "-o", "json", "--state", "notready"})["items"].size(), 0u);
  EXPECT_EQ(inspect({"pods", "-o", "json", "--state", "ready"})["items"].size(), 1u);
  // berth's own CLI shows them only when asked for the namespace.
  auto berth_ps = berth::test::run({"env", "BERTH_HOST=" + daemon->berthd().host(), berth::test::bin("berth"), "ps", "-aq",
                                    "--no-trunc", "--namespace", "k8s.io"});
  EXPECT_NE(berth_ps.out.find(pod_id), std::string::npos) << berth_ps.out << berth_ps.err;
  EXPECT_NE(berth_ps.out.find(qid), std::string::npos) << berth_ps.out;
  auto plain = berth::test::run({"env", "BERTH_HOST=" + daemon->berthd().host(), berth::test::bin("berth"), "ps", "-aq"});
  EXPECT_EQ(plain.out, "");
  EXPECT_EQ(daemon->crictl({"rmp", "-f", pod_id}).status, 0);
  EXPECT_EQ(inspect({"ps", "-a", "-o", "json"})["containers"].size(), 0u);
}

TEST_F(CrictlPods, NodeNetworkPodSkipsCni) {
  auto pod = pod_config("hostnet", "uid-hostnet-1");
  pod["linux"] = {{"security_context", {{"namespace_options", {{"network", 2}}}}}};
  pod.erase("port_mappings");
  auto pod_id = runp(pod);
  ASSERT_EQ(pod_id.size(), 64u);
  auto st = inspect({"inspectp", "-o", "json", pod_id});
  EXPECT_EQ(st["status"]["state"], "SANDBOX_READY");
  const auto& net = st["status"]["network"];
  EXPECT_TRUE(net.is_null() || net.value("ip", "") == "") << st.dump(2);
  EXPECT_EQ(links("veth"), "");  // no CNI ADD ran
  json ctr = {{"metadata", {{"name", "app"}}}, {"image", {{"image", "busybox"}}}, {"command", {"sleep", "3600"}}};
  auto cid = create(pod_id, pod, ctr);
  ASSERT_EQ(daemon->crictl({"start", cid}).status, 0) << daemon->berthd().log();
  // The node's network: the test namespace's bridge of berthd is visible.
  auto links_inside = exec(cid, {"ip", "-o", "link"});
  EXPECT_NE(links_inside.find("berth0"), std::string::npos) << links_inside;
  EXPECT_EQ(daemon->crictl({"rmp", "-f", pod_id}).status, 0);
}

TEST_F(CrictlPods, MoreSecurityCasesFromInside) {
  auto pod = pod_config("sec2", "uid-sec2-1");
  pod["linux"] = {{"security_context", {{"privileged", true}}}};
  auto pod_id = runp(pod);
  ASSERT_EQ(pod_id.size(), 64u);
  // A localhost seccomp profile that refuses mkdir; masked and read-only paths; a user by name.
  json profile = {{"defaultAction", "SCMP_ACT_ALLOW"},
                  {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}}}}};
  berth::test::write_text(conf / "no-mkdir.json", profile.dump());
  json ctr = {{"metadata", {{"name", "named"}}},
              {"image", {{"image", "busybox"}}},
              {"command", {"sleep", "3600"}},
              {"linux",
               {{"security_context",
                 {{"run_as_username", "nobody"},
                  {"masked_paths", {"/proc/cpuinfo"}},
                  {"readonly_paths", {"/tmp"}},
                  {"namespace_options", {{"pid", 1}}},
                  {"seccomp", {{"profile_type", 2}, {"localhost_ref", conf / "no-mkdir.json"}}}}}}}};
  auto a = create(pod_id, pod, ctr);
  ASSERT_EQ(daemon->crictl({"start", a}).status, 0) << daemon->berthd().log();
  EXPECT_NE(exec(a, {"id"}).find("uid=65534"), std::string::npos);
  auto mk = daemon->crictl({"exec", "-s", a, "mkdir", "/tmp/x"});
  EXPECT_NE(mk.status, 0);
  EXPECT_NE(mk.err.find("Operation not permitted"), std::string::npos) << mk.err;
  EXPECT_EQ(exec(a, {"sh", "-c", "wc -c < /proc/cpuinfo"}), "0\n");
  auto t = daemon->crictl({"exec", "-s", a, "touch", "/tmp/y"});
  EXPECT_NE(t.status, 0);
  EXPECT_NE(t.err.find("Read-only file system"), std::string::npos) << t.err;
  // CONTAINER pid mode: its own pid namespace, its process is pid 1; ipc is the pod's.
  EXPECT_EQ(exec(a, {"cat", "/proc/1/cmdline"}).substr(0, 5), "sleep");
  // TARGET: another container's pid namespace.
  json joiner = {{"metadata", {{"name", "joiner"}}},
                 {"image", {{"image", "busybox"}}},
                 {"command", {"sleep", "3601"}},
                 {"linux", {{"security_context", {{"namespace_options", {{"pid", 3}, {"target_id", a}}}}}}}};
  auto j = create(pod_id, pod, joiner);
  ASSERT_EQ(daemon->crictl({"start", j}).status, 0) << daemon->berthd().log();
  EXPECT_EQ(exec(j, {"readlink", "/proc/self/ns/pid"}), exec(a, {"readlink", "/proc/self/ns/pid"}));

  // Privileged (the pod allows it): every capability, no seccomp.
  json priv = {{"metadata", {{"name", "priv"}}},
               {"image", {{"image", "busybox"}}},
               {"command", {"sleep", "3600"}},
               {"linux", {{"security_context", {{"privileged", true}}}}}};
  auto b = create(pod_id, pod, priv);
  ASSERT_EQ(daemon->crictl({"start", b}).status, 0) << daemon->berthd().log();
  auto status = exec(b, {"cat", "/proc/self/status"});
  EXPECT_NE(status.find("Seccomp:\t0"), std::string::npos) << status;
  EXPECT_EQ(status.find("CapEff:\t0000000000000000"), std::string::npos) << status;
  EXPECT_EQ(exec(a, {"readlink", "/proc/self/ns/ipc"}), exec(b, {"readlink", "/proc/self/ns/ipc"}));
  EXPECT_EQ(exec(a, {"readlink", "/proc/self/ns/net"}), exec(b, {"readlink", "/proc/self/ns/net"}));
  EXPECT_EQ(daemon->crictl({"rmp", "-f", pod_id}).status, 0);
}

TEST_F(CrictlPods, CgroupParentHoldsThePod) {
  std::string parent = "berth-cri-test-" + std::to_string(getpid());
  auto pod = pod_config("cg", "uid-cg-1");
  pod["linux"] = {{"cgroup_parent", "/" + parent}};
  auto pod_id = runp(pod);
  ASSERT_EQ(pod_id.size(), 64u);
  json ctr = {{"metadata", {{"name", "app"}}}, {"image", {{"image", "busybox"}}}, {"command", {"sleep", "3600"}}};
  auto cid = create(pod_id, pod, ctr);
  ASSERT_EQ(daemon->crictl({"start", cid}).status, 0) << daemon->berthd().log();
  // Seen from the host (inside, its cgroup namespace hides the path).
  auto info = inspect({"inspect", "-o", "json", cid});
  ASSERT_TRUE(info["info"].is_object() && info["info"]["pid"].is_number()) << info.dump(2);
  auto cg = berth::test::read_text("/proc/" + std::to_string(info["info"]["pid"].get<int>()) + "/cgroup");
  EXPECT_NE(cg.find("/" + parent + "/"), std::string::npos) << cg;
  EXPECT_EQ(daemon->crictl({"rmp", "-f", pod_id}).status, 0);
  // The pod's cgroups went with it; the parent is the kubelet's (here: the test's) to remove.
  std::vector<std::string> left;
  for (auto& h : std::filesystem::directory_iterator("/sys/fs/cgroup")) {
    auto dir = h.path() / parent;
    if (!std::filesystem::exists(dir)) continue;
    for (auto& e : std::filesystem::directory_iterator(dir))
      if (e.is_directory()) left.push_back(e.path());
    rmdir(dir.c_str());
  }
  EXPECT_TRUE(left.empty()) << left.front();
}

namespace {

// A command left running in the background (crictl port-forward), killed at the end of scope.
class Background {
 public:
  explicit Background(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawnp(&pid_, args[0], &fa, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Background() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  bool started() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

}  // namespace

// crictl exec (without -s), attach-free streaming: the Exec URL on berthd's streaming server,
// upgraded to SPDY by crictl; stdin, stdout, stderr and the exit code come through, and
// port-forward reaches a port inside the pod's network namespace.
TEST_F(CrictlPods, ExecAndPortForwardThroughTheStreamingServer) {
  auto pod = pod_config("stream", "uid-stream-1");
  pod.erase("port_mappings");
  auto pod_id = runp(pod);
  ASSERT_EQ(pod_id.size(), 64u);
  json ctr = {{"metadata", {{"name", "srv"}}},
              {"image", {{"image", "busybox"}}},
              {"command", {"/bin/sh", "-c", "httpd -p 8080 -h /etc; exec sleep 3600"}},
              {"linux", json::object()}};
  auto cid = create(pod_id, pod, ctr);
  ASSERT_EQ(daemon->crictl({"start", cid}).status, 0) << daemon->berthd().log();

  auto out = daemon->crictl({"exec", cid, "sh", "-c", "echo to-out; hostname"});
  EXPECT_EQ(out.status, 0) << out.err << daemon->berthd().log();
  EXPECT_EQ(out.out, "to-out\nstream-host\n");
  auto in = daemon->crictl({"exec", "-i", cid, "sh", "-c", "tr a-z A-Z"}, "piped in\n");
  EXPECT_EQ(in.status, 0) << in.err;
  EXPECT_EQ(in.out, "PIPED IN\n");
  auto err = daemon->crictl({"exec", cid, "sh", "-c", "echo to-err >&2; exit 3"});
  EXPECT_NE(err.status, 0);
  EXPECT_NE(err.err.find("to-err"), std::string::npos) << err.err;
  EXPECT_NE(err.err.find("exit code 3"), std::string::npos) << err.err;
  // An exec into a container that does not exist is refused before any URL is made.
  auto missing = daemon->crictl({"exec", "no-such-container", "true"});
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.err.find("not found"), std::string::npos) << missing.err;

  // port-forward: a local port in berthd's namespace reaches port 8080 inside the pod.
  Background forward(daemon->crictl_argv({"port-forward", pod_id, "18181:8080"}));
  ASSERT_TRUE(forward.started());
  bool served = berth::test::wait_until(
      [&] { return ns.run({"wget", "-q", "-O", "-", "-T", "2", "http://127.0.0.1:18181/hostname"}).out == "stream-host\n"; },
      std::chrono::seconds(15));
  EXPECT_TRUE(served) << "crictl port-forward did not reach the pod's httpd\n" << daemon->berthd().log();
}
