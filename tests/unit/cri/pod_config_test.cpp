// What the pod and container requests become before the engine sees them: the pause
// container's and a pod container's create bodies, the CNI attachment, and the refusals, each
// naming its field.
#include <gtest/gtest.h>

#include "cri/container_body.hpp"
#include "cri/cri_record.hpp"
#include "cri/pod_network.hpp"
#include "cri/sandbox_body.hpp"

using namespace berth::cri;
using nlohmann::json;
namespace v1 = ::runtime::v1;

namespace {

v1::PodSandboxConfig pod() {
  v1::PodSandboxConfig c;
  c.mutable_metadata()->set_name("web");
  c.mutable_metadata()->set_namespace_("default");
  c.mutable_metadata()->set_uid("uid-1");
  c.mutable_metadata()->set_attempt(2);
  c.set_hostname("web-host");
  c.mutable_dns_config()->add_servers("10.96.0.10");
  c.mutable_dns_config()->add_searches("default.svc.cluster.local");
  c.mutable_dns_config()->add_options("ndots:5");
  (*c.mutable_labels())["app"] = "web";
  (*c.mutable_annotations())["note"] = "kept as is";
  c.mutable_linux()->set_cgroup_parent("/berth-test-pods");
  return c;
}

std::string error_of(const berth::Result<SandboxBody>& r) { return r ? "" : r.error().what(); }
std::string error_of(const berth::Result<ContainerBody>& r) { return r ? "" : r.error().what(); }

}  // namespace

TEST(CriSandboxBody, PauseInAnEmptyReadOnlyRootWithThePodsSettings) {
  auto sb = sandbox_body(pod(), "/usr/bin/berth-pause", -500);
  ASSERT_TRUE(sb) << sb.error().what();
  EXPECT_EQ(sb->name, "k8s_POD_web_default_uid-1_2");
  EXPECT_FALSE(sb->host_network);
  const auto& b = sb->body;
  EXPECT_EQ(b["Entrypoint"], json::array({"/pause"}));
  EXPECT_EQ(b["Hostname"], "web-host");
  const auto& hc = b["HostConfig"];
  EXPECT_EQ(hc["NetworkMode"], "none");  // the pinned namespace replaces it
  EXPECT_EQ(hc["IpcMode"], "shareable");
  EXPECT_FALSE(hc.contains("PidMode"));
  EXPECT_EQ(hc["ReadonlyRootfs"], true);
  EXPECT_EQ(hc["Binds"], json::array({"/usr/bin/berth-pause:/pause:ro"}));
  EXPECT_EQ(hc["Dns"], json::array({"10.96.0.10"}));
  EXPECT_EQ(hc["DnsSearch"], json::array({"default.svc.cluster.local"}));
  EXPECT_EQ(hc["DnsOptions"], json::array({"ndots:5"}));
  EXPECT_EQ(hc["CgroupParent"], "/berth-test-pods");
  // Never below berthd's own score.
  EXPECT_EQ(hc["OomScoreAdj"], -500);
  EXPECT_EQ(sandbox_body(pod(), "/p", -1000)->body["HostConfig"]["OomScoreAdj"], -998);
  // Its labels carry the namespace, the kind and the config (annotations untouched).
  EXPECT_EQ(b["Labels"]["io.berth.namespace"], "k8s.io");
  EXPECT_EQ(b["Labels"]["io.berth.cri.kind"], "sandbox");
  EXPECT_EQ(b["Labels"]["app"], "web");
}

TEST(CriSandboxBody, NodeNamespaces) {
  auto c = pod();
  auto* ns = c.mutable_linux()->mutable_security_context()->mutable_namespace_options();
  ns->set_network(v1::NODE);
  ns->set_pid(v1::NODE);
  ns->set_ipc(v1::NODE);
  auto sb = sandbox_body(c, "/p", 0);
  ASSERT_TRUE(sb) << sb.error().what();
  EXPECT_TRUE(sb->host_network);
  EXPECT_EQ(sb->body["HostConfig"]["NetworkMode"], "host");
  EXPECT_EQ(sb->body["HostConfig"]["UTSMode"], "host");
  EXPECT_EQ(sb->body["HostConfig"]["PidMode"], "host");
  EXPECT_EQ(sb->body["HostConfig"]["IpcMode"], "host");
  EXPECT_FALSE(sb->body.contains("Hostname"));
}

TEST(CriSandboxBody, RefusalsNameTheField) {
  auto c = pod();
  c.mutable_metadata()->set_uid("");
  EXPECT_NE(error_of(sandbox_body(c, "/p", 0)).find("config.metadata.uid"), std::string::npos);
  c = pod();
  c.mutable_metadata()->set_name("../../etc");
  EXPECT_NE(error_of(sandbox_body(c, "/p", 0)).find("not a valid name"), std::string::npos);
  c = pod();
  c.set_hostname("");
  EXPECT_NE(error_of(sandbox_body(c, "/p", 0)).find("config.hostname"), std::string::npos);
  c = pod();
  c.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(v1::CONTAINER);
  EXPECT_NE(error_of(sandbox_body(c, "/p", 0)).find("namespace_options.network"), std::string::npos);
}

TEST(CriSandboxRecord, ReadBackFromTheLabels) {
  berth::engine::ContainerRecord c;
  c.id = std::string(64, 'a');
  auto sb = sandbox_body(pod(), "/p", 0);
  ASSERT_TRUE(sb);
  c.config_json = json{{"Labels", sb->body["Labels"]}}.dump();
  auto back = as_sandbox(c);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->config.metadata().uid(), "uid-1");
  EXPECT_EQ(back->config.annotations().at("note"), "kept as is");
  EXPECT_FALSE(as_container(c));
  // A Docker container is neither.
  c.config_json = R"({"Labels": {"app": "web"}})";
  EXPECT_FALSE(as_sandbox(c));
}

TEST(CriPodNetwork, AttachmentCarriesThePodAndItsHostPorts) {
  auto c = pod();
  auto* p = c.add_port_mappings();
  p->set_container_port(80);
  p->set_host_port(8080);
  auto* q = c.add_port_mappings();  // no host port: nothing to map
  q->set_container_port(81);
  auto a = PodNetwork::attachment("sid", "/run/berth/netns/sid", c);
  ASSERT_TRUE(a) << a.error().what();
  EXPECT_EQ(a->ifname, "eth0");
  EXPECT_EQ(a->netns, "/run/berth/netns/sid");
  auto has = [&](const std::string& k, const std::string& v) {
    return std::ranges::find(a->args, std::pair<std::string, std::string>{k, v}) != a->args.end();
  };
  EXPECT_TRUE(has("K8S_POD_NAMESPACE", "default"));
  EXPECT_TRUE(has("K8S_POD_NAME", "web"));
  EXPECT_TRUE(has("K8S_POD_INFRA_CONTAINER_ID", "sid"));
  EXPECT_TRUE(has("K8S_POD_UID", "uid-1"));
  ASSERT_EQ(a->capability_args["portMappings"].size(), 1u);
  EXPECT_EQ(a->capability_args["portMappings"][0]["hostPort"], 8080);
  EXPECT_EQ(a->capability_args["portMappings"][0]["containerPort"], 80);
  EXPECT_EQ(a->capability_args["portMappings"][0]["protocol"], "tcp");
  p->set_host_port(70000);
  EXPECT_FALSE(PodNetwork::attachment("sid", "/x", c));
}

TEST(CriContainerBody, TheConfigAsACreateBody) {
  v1::ContainerConfig c;
  c.mutable_metadata()->set_name("app");
  c.mutable_image()->set_image("busybox");
  c.add_command("/bin/sh");
  c.add_args("-c");
  c.add_args("sleep 1");
  auto* e = c.add_envs();
  e->set_key("A");
  e->set_value("b=c");
  c.set_working_dir("/tmp");
  auto* m = c.add_mounts();
  m->set_host_path("/tmp");
  m->set_container_path("/host-tmp");
  m->set_readonly(true);
  m->set_propagation(v1::PROPAGATION_HOST_TO_CONTAINER);
  auto* r = c.mutable_linux()->mutable_resources();
  r->set_memory_limit_in_bytes(64 << 20);
  r->set_cpu_shares(512);
  r->set_oom_score_adj(-999);
  auto* sc = c.mutable_linux()->mutable_security_context();
  sc->mutable_run_as_user()->set_value(1000);
  sc->mutable_run_as_group()->set_value(2000);
  sc->add_supplemental_groups(3000);
  sc->set_readonly_rootfs(true);
  sc->set_no_new_privs(true);
  sc->mutable_capabilities()->add_drop_capabilities("ALL");
  sc->mutable_capabilities()->add_add_capabilities("NET_BIND_SERVICE");
  sc->mutable_seccomp()->set_profile_type(v1::SecurityProfile::RuntimeDefault);
  PodContext ctx{"sid", pod(), "busybox", -100};
  auto b = container_body(c, ctx);
  ASSERT_TRUE(b) << b.error().what();
  EXPECT_EQ(b->name, "k8s_app_web_default_uid-1_0");
  const auto& body = b->body;
  EXPECT_EQ(body["Entrypoint"], json::array({"/bin/sh"}));
  EXPECT_EQ(body["Cmd"], json::array({"-c", "sleep 1"}));
  EXPECT_EQ(body["Env"], json::array({"A=b=c"}));
  EXPECT_EQ(body["User"], "1000:2000");
  EXPECT_EQ(body["Hostname"], "web-host");
  EXPECT_EQ(b->uts_container, "sid");  // the sandbox's uts namespace, not one of its own
  EXPECT_FALSE(body["HostConfig"].contains("UTSMode"));  // (the Engine API's modes have no container:)
  EXPECT_EQ(body["Labels"]["io.berth.cri.sandbox-id"], "sid");
  const auto& hc = body["HostConfig"];
  EXPECT_EQ(hc["NetworkMode"], "container:sid");
  EXPECT_EQ(hc["IpcMode"], "container:sid");
  EXPECT_EQ(hc["PidMode"], "container:sid");
  EXPECT_EQ(hc["Memory"], 64 << 20);
  EXPECT_EQ(hc["CpuShares"], 512);
  EXPECT_EQ(hc["OomScoreAdj"], -100);  // not below berthd's own
  EXPECT_EQ(hc["GroupAdd"], json::array({"3000"}));
  EXPECT_EQ(hc["ReadonlyRootfs"], true);
  EXPECT_EQ(hc["CapDrop"], json::array({"ALL"}));
  EXPECT_EQ(hc["CapAdd"], json::array({"NET_BIND_SERVICE"}));
  EXPECT_EQ(hc["SecurityOpt"], json::array({"no-new-privileges"}));  // runtime/default: the engine's
  ASSERT_EQ(hc["Mounts"].size(), 1u);
  EXPECT_EQ(hc["Mounts"][0]["BindOptions"]["Propagation"], "rslave");
  EXPECT_EQ(hc["Mounts"][0]["ReadOnly"], true);
  EXPECT_EQ(hc["CgroupParent"], "/berth-test-pods");
}

TEST(CriContainerBody, NamespaceModesAndSeccomp) {
  v1::ContainerConfig c;
  c.mutable_metadata()->set_name("app");
  auto* sc = c.mutable_linux()->mutable_security_context();
  sc->mutable_namespace_options()->set_pid(v1::CONTAINER);
  PodContext ctx{"sid", pod(), "busybox", 0};
  auto b = container_body(c, ctx);
  ASSERT_TRUE(b) << b.error().what();
  EXPECT_FALSE(b->body["HostConfig"].contains("PidMode"));
  // No profile at all is unconfined, as the CRI defines it.
  EXPECT_EQ(b->body["HostConfig"]["SecurityOpt"], json::array({"seccomp=unconfined"}));
  sc->mutable_namespace_options()->set_pid(v1::TARGET);
  sc->mutable_namespace_options()->set_target_id("other");
  EXPECT_EQ(container_body(c, ctx)->body["HostConfig"]["PidMode"], "container:other");
  sc->mutable_namespace_options()->set_pid(v1::NODE);
  EXPECT_EQ(container_body(c, ctx)->body["HostConfig"]["PidMode"], "host");
  // A pod on the node's network has the node's uts namespace: nothing to join.
  ctx.config.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(v1::NODE);
  auto node = container_body(c, ctx);
  ASSERT_TRUE(node) << node.error().what();
  EXPECT_EQ(node->uts_container, "");
  EXPECT_EQ(node->body["HostConfig"]["UTSMode"], "host");
  EXPECT_FALSE(node->body.contains("Hostname"));
}

TEST(CriContainerBody, RefusalsNameTheField) {
  v1::ContainerConfig c;
  c.mutable_metadata()->set_name("app");
  PodContext ctx{"sid", pod(), "busybox", 0};
  auto* sc = c.mutable_linux()->mutable_security_context();
  sc->mutable_run_as_group()->set_value(5);
  EXPECT_NE(error_of(container_body(c, ctx)).find("run_as_group"), std::string::npos);
  sc->Clear();
  sc->mutable_seccomp()->set_profile_type(v1::SecurityProfile::Localhost);
  sc->mutable_seccomp()->set_localhost_ref("relative.json");
  EXPECT_NE(error_of(container_body(c, ctx)).find("seccomp"), std::string::npos);
  sc->mutable_seccomp()->set_localhost_ref("/nonexistent/profile.json");
  EXPECT_NE(error_of(container_body(c, ctx)).find("/nonexistent/profile.json"), std::string::npos);
  sc->Clear();
  sc->set_privileged(true);  // the pod is not privileged
  EXPECT_NE(error_of(container_body(c, ctx)).find("privileged"), std::string::npos);
  sc->Clear();
  auto* m = c.add_mounts();
  m->set_host_path("/nonexistent-berth-path");
  m->set_container_path("/x");
  EXPECT_NE(error_of(container_body(c, ctx)).find("config.mounts[0].host_path"), std::string::npos);
  m->set_host_path("/tmp");
  m->set_container_path("relative");
  EXPECT_NE(error_of(container_body(c, ctx)).find("config.mounts[0].container_path"), std::string::npos);
}

TEST(CriContainerBody, LogPathAsTheCriLogDriver) {
  v1::ContainerConfig c;
  c.mutable_metadata()->set_name("app");
  auto p = pod();
  PodContext ctx{"sid", p, "busybox", 0};
  // No log path, or no directory: the daemon's own driver.
  EXPECT_FALSE(container_body(c, ctx)->body["HostConfig"].contains("LogConfig"));
  c.set_log_path("app/0.log");
  EXPECT_FALSE(container_body(c, ctx)->body["HostConfig"].contains("LogConfig"));
  ctx.config.set_log_directory("/var/log/pods/default_web_uid-1");
  auto b = container_body(c, ctx);
  ASSERT_TRUE(b) << b.error().what();
  EXPECT_EQ(b->body["HostConfig"]["LogConfig"],
            json({{"Type", "cri"}, {"Config", {{"path", "/var/log/pods/default_web_uid-1/app/0.log"}}}}));
}

TEST(CriContainerBody, LogPathsThatLeaveTheDirectoryAreRefused) {
  v1::ContainerConfig c;
  c.mutable_metadata()->set_name("app");
  PodContext ctx{"sid", pod(), "busybox", 0};
  ctx.config.set_log_directory("/var/log/pods/x");
  c.set_log_path("../../../etc/cron.d/evil");
  EXPECT_EQ(error_of(container_body(c, ctx)),
            "config.log_path \"../../../etc/cron.d/evil\": must not contain \"..\"");
  c.set_log_path("app/../../x.log");
  EXPECT_NE(error_of(container_body(c, ctx)).find("must not contain \"..\""), std::string::npos);
  c.set_log_path("/etc/passwd");
  EXPECT_EQ(error_of(container_body(c, ctx)),
            "config.log_path \"/etc/passwd\": must be relative to the pod's log_directory");
  c.set_log_path(std::string("a\0b", 3));
  EXPECT_NE(error_of(container_body(c, ctx)).find("contains a NUL byte"), std::string::npos);
  c.set_log_path("app/0.log");
  ctx.config.set_log_directory("var/log/pods/x");
  EXPECT_EQ(error_of(container_body(c, ctx)),
            "pod sandbox log_directory \"var/log/pods/x\": must be an absolute path");
  ctx.config.set_log_directory("/var/log/../../etc");
  EXPECT_NE(error_of(container_body(c, ctx)).find("pod sandbox log_directory"), std::string::npos);
  // A name with dots that is not "..": fine.
  ctx.config.set_log_directory("/var/log/pods/x");
  c.set_log_path("app/..0.log");
  EXPECT_TRUE(container_body(c, ctx));
}
