// berthd's CRI server where crictl cannot reach: the rpcs' edge cases through the generated
// client (a missing image, removing it again, unserved calls, bad requests), the socket's life
// (removed on SIGTERM, a live one never taken over), a bad "cri" configuration, and where the
// streaming server listens.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "cri/api.grpc.pb.h"
#include "cri/cri_fixture.hpp"

using namespace berth::cri::test;
namespace v1 = ::runtime::v1;

namespace {

struct Client {
  explicit Client(const std::string& socket)
      : channel(grpc::CreateChannel("unix://" + socket, grpc::InsecureChannelCredentials())),
        runtime(v1::RuntimeService::NewStub(channel)),
        images(v1::ImageService::NewStub(channel)) {}
  std::unique_ptr<grpc::ClientContext> ctx() {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return c;
  }
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::RuntimeService::Stub> runtime;
  std::unique_ptr<v1::ImageService::Stub> images;
};

bool exists(const std::string& p) {
  struct stat st{};
  return lstat(p.c_str(), &st) == 0;
}

}  // namespace

TEST(CriServer, MissingImagesAndBadRequests) {
  CriDaemon c;
  ASSERT_TRUE(c.ready()) << c.berthd().log();
  Client cl(c.socket());

  v1::ImageStatusRequest sreq;
  sreq.mutable_image()->set_image("no/such:image");
  v1::ImageStatusResponse sresp;
  auto s = cl.images->ImageStatus(cl.ctx().get(), sreq, &sresp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(sresp.has_image());  // missing: no image, no error

  v1::RemoveImageRequest rreq;
  rreq.mutable_image()->set_image("no/such:image");
  v1::RemoveImageResponse rresp;
  s = cl.images->RemoveImage(cl.ctx().get(), rreq, &rresp);
  EXPECT_TRUE(s.ok()) << s.error_message();

  v1::ListImagesRequest lreq;
  lreq.mutable_filter()->mutable_image()->set_image("no/such:image");
  v1::ListImagesResponse lresp;
  s = cl.images->ListImages(cl.ctx().get(), lreq, &lresp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(lresp.images_size(), 0);

  v1::PullImageRequest preq;
  v1::PullImageResponse presp;
  s = cl.images->PullImage(cl.ctx().get(), preq, &presp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "pull image: image: a name is required");
  preq.mutable_image()->set_image("busybox");
  preq.mutable_auth()->set_auth("not base64!");
  s = cl.images->PullImage(cl.ctx().get(), preq, &presp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("auth: expected the base64 encoding"), std::string::npos) << s.error_message();
  preq.clear_auth();
  preq.mutable_image()->set_image("UPPER/case");
  s = cl.images->PullImage(cl.ctx().get(), preq, &presp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();

  // A pod without metadata is refused, naming the field.
  v1::RunPodSandboxRequest run;
  v1::RunPodSandboxResponse ran;
  s = cl.runtime->RunPodSandbox(cl.ctx().get(), run, &ran);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("config.metadata"), std::string::npos) << s.error_message();
  // Removing a pod or container that is not there is not an error; its status is NOT_FOUND.
  v1::RemovePodSandboxRequest rmp;
  rmp.set_pod_sandbox_id(std::string(64, 'a'));
  v1::RemovePodSandboxResponse rmp_resp;
  EXPECT_TRUE(cl.runtime->RemovePodSandbox(cl.ctx().get(), rmp, &rmp_resp).ok());
  v1::RemoveContainerRequest rm;
  rm.set_container_id(std::string(64, 'b'));
  v1::RemoveContainerResponse rm_resp;
  EXPECT_TRUE(cl.runtime->RemoveContainer(cl.ctx().get(), rm, &rm_resp).ok());
  v1::PodSandboxStatusRequest psr;
  psr.set_pod_sandbox_id(std::string(64, 'a'));
  v1::PodSandboxStatusResponse psr_resp;
  EXPECT_EQ(cl.runtime->PodSandboxStatus(cl.ctx().get(), psr, &psr_resp).error_code(), grpc::StatusCode::NOT_FOUND);
  // Exec, Attach, PortForward of what does not exist: no URL, and the server goes on.
  v1::ExecRequest ex;
  v1::ExecResponse ex_resp;
  s = cl.runtime->Exec(cl.ctx().get(), ex, &ex_resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  ex.set_container_id(std::string(64, 'b'));
  ex.add_cmd("true");
  s = cl.runtime->Exec(cl.ctx().get(), ex, &ex_resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  EXPECT_EQ(ex_resp.url(), "");
  v1::AttachRequest at;
  at.set_container_id(std::string(64, 'b'));
  v1::AttachResponse at_resp;
  EXPECT_EQ(cl.runtime->Attach(cl.ctx().get(), at, &at_resp).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::PortForwardRequest pf;
  pf.set_pod_sandbox_id(std::string(64, 'a'));
  v1::PortForwardResponse pf_resp;
  EXPECT_EQ(cl.runtime->PortForward(cl.ctx().get(), pf, &pf_resp).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::UpdateRuntimeConfigRequest ureq;
  ureq.mutable_runtime_config()->mutable_network_config()->set_pod_cidr("10.88.0.0/16");
  v1::UpdateRuntimeConfigResponse uresp;
  EXPECT_TRUE(cl.runtime->UpdateRuntimeConfig(cl.ctx().get(), ureq, &uresp).ok());
  v1::VersionRequest vreq;
  v1::VersionResponse vresp;
  ASSERT_TRUE(cl.runtime->Version(cl.ctx().get(), vreq, &vresp).ok());
  EXPECT_EQ(vresp.runtime_name(), "berth");
}

TEST(CriServer, DockerContainersRunBesideIt) {
  // gRPC's threads are alive while berthd starts shims: a container still runs and is reaped.
  CriDaemon c;
  auto& d = c.berthd();
  ASSERT_TRUE(c.ready()) << d.log();
  ASSERT_EQ(d.docker({"load", "-i", berth::api::test::busybox_archive()}).status, 0);
  auto r = d.docker({"run", "--rm", "--network", "none", "busybox", "echo", "beside the CRI"});
  EXPECT_EQ(r.status, 0) << r.err << d.log();
  EXPECT_EQ(r.out, "beside the CRI\n");
  EXPECT_EQ(d.docker({"ps", "-aq"}).out, "");
  if (!crictl_path().empty()) {
    EXPECT_EQ(c.crictl({"version"}).status, 0);
  }
}

TEST(CriServer, SocketRemovedOnSigtermAndNeverTakenOver) {
  CriDaemon c(nlohmann::json::object());
  ASSERT_TRUE(c.ready()) << c.berthd().log();
  ASSERT_TRUE(exists(c.socket()));
  // A second daemon (own roots) on the same CRI socket is refused and leaves the first serving.
  berth::test::TempDir other("berth-cri-other");
  berth::test::write_text(other / "none.json", "{}");
  auto second = berth::test::run({berth::test::bin("berthd"), "--data-root", other / "data", "--exec-root",
                                  other / "exec", "--config-file", other / "none.json", "--cri-socket", c.socket()},
                                 "", std::chrono::seconds(60));
  EXPECT_EQ(second.status, 1);
  EXPECT_NE(second.err.find("CRI socket " + c.socket() + ": another daemon is serving this socket"),
            std::string::npos)
      << second.err;
  EXPECT_FALSE(exists(other / "exec/berthd.sock"));  // it gave up whole
  if (!crictl_path().empty()) {
    EXPECT_EQ(c.crictl({"version"}).status, 0);
  }

  EXPECT_EQ(c.berthd().stop(), 0);
  EXPECT_FALSE(exists(c.socket()));
}

TEST(CriServer, PathThatIsNotASocketIsRefused) {
  berth::test::TempDir dir("berth-cri-notsock");
  berth::test::write_text(dir / "cri.sock", "a file");
  berth::test::write_text(dir / "none.json", "{}");
  auto r = berth::test::run({berth::test::bin("berthd"), "--data-root", dir / "data", "--exec-root", dir / "exec",
                             "--config-file", dir / "none.json", "--cri-socket", dir / "cri.sock"},
                            "", std::chrono::seconds(60));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("CRI socket " + (dir / "cri.sock") + ": exists and is not a socket"), std::string::npos)
      << r.err;
  EXPECT_EQ(berth::test::read_text(dir / "cri.sock"), "a file");
}

TEST(CriServer, BadCriConfigurationIsRefusedNamingTheKey) {
  berth::test::TempDir dir("berth-cri-config");
  auto validate = [&](const std::string& daemon_json, std::vector<std::string> extra = {}) {
    berth::test::write_text(dir / "daemon.json", daemon_json);
    std::vector<std::string> argv = {berth::test::bin("berthd"), "--validate", "--config-file", dir / "daemon.json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return berth::test::run(argv);
  };
  auto r = validate(R"({"cri": {"socket": "/run/x.sock", "registry-mirror": {}}})");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "berthd: invalid daemon configuration: cri.registry-mirror: unknown field\n");
  r = validate(R"({"cri": {"registry-mirrors": {"docker.io": ["ftp://m"]}}})");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("cri.registry-mirrors.docker.io[]: \"ftp://m\" is not a mirror URL"), std::string::npos) << r.err;
  r = validate(R"({"cri": {"socket": "/run/a.sock"}})", {"--cri-socket", "/run/b.sock"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("cri.socket: (from flag: \"/run/b.sock\", from file: \"/run/a.sock\")"), std::string::npos)
      << r.err;
  r = validate(R"({"cri": {"registry-mirrors": {"docker.io": ["http://127.0.0.1:5000"]}}})", {"--cri-socket", "/run/b.sock"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "configuration OK\n");
}

// daemon.json's stream-address and stream-port place the streaming server (the URLs of Exec,
// Attach and PortForward); Status's verbose config shows where it listens.
TEST(CriServer, StreamingServerWhereDaemonJsonPutsIt) {
  // A port free now: the kernel's pick for a socket closed at once.
  uint16_t port = 0;
  {
    berth::UniqueFd probe(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ASSERT_EQ(bind(probe.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(getsockname(probe.get(), reinterpret_cast<sockaddr*>(&a), &len), 0);
    port = ntohs(a.sin_port);
  }
  CriDaemon c(nlohmann::json{{"stream-address", "127.0.0.1"}, {"stream-port", port}});
  ASSERT_TRUE(c.ready()) << c.berthd().log();
  Client cl(c.socket());
  v1::StatusRequest req;
  req.set_verbose(true);
  v1::StatusResponse resp;
  ASSERT_TRUE(cl.runtime->Status(cl.ctx().get(), req, &resp).ok());
  auto config = nlohmann::json::parse(resp.info().at("config"));
  EXPECT_EQ(config["streamServer"], "http://127.0.0.1:" + std::to_string(port)) << config.dump();
  // It listens there.
  berth::UniqueFd conn(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  EXPECT_EQ(connect(conn.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << strerror(errno);
}

TEST(CriServer, BadStreamingSettingsAreRefused) {
  berth::test::TempDir dir("berth-cri-stream");
  berth::test::write_text(dir / "daemon.json", R"({"cri": {"stream-address": "0.0.0.0:1", "stream-port": 10010}})");
  auto r = berth::test::run({berth::test::bin("berthd"), "--validate", "--config-file", dir / "daemon.json"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "berthd: invalid daemon configuration: cri.stream-address: \"0.0.0.0:1\" is not an IPv4 address\n");
}
