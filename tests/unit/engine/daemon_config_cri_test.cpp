// daemon.json's "cri" object and --cri-socket: what is read, how the flag and the file combine,
// and each refusal naming the key.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/daemon_config.hpp"

using namespace berth::engine;
using nlohmann::json;

namespace {

std::string cri_error_of(std::string_view file, const json& flags = json::object()) {
  auto c = load_daemon_config(file, flags);
  return c ? "" : c.error().what();
}

}  // namespace

TEST(DaemonConfigCri, OffUnlessConfigured) {
  auto c = load_daemon_config("{}", json::object());
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->cri.enabled());
  EXPECT_TRUE(c->cri.registry_mirrors.empty());
}

TEST(DaemonConfigCri, SocketAndMirrorsAreRead) {
  auto c = load_daemon_config(R"({"cri": {"socket": "/run/berth/cri.sock", "registry-mirrors": {
      "docker.io": ["http://127.0.0.1:5000/", "https://mirror.example:8443/v2-cache"],
      "registry.k8s.io": ["http://127.0.0.1:5001"]}}})",
                              json::object());
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_TRUE(c->cri.enabled());
  EXPECT_EQ(c->cri.socket, "/run/berth/cri.sock");
  EXPECT_EQ(c->cri.registry_mirrors.at("docker.io"),
            (std::vector<std::string>{"http://127.0.0.1:5000", "https://mirror.example:8443/v2-cache"}));
  EXPECT_EQ(c->cri.registry_mirrors.at("registry.k8s.io"), std::vector<std::string>{"http://127.0.0.1:5001"});
}

TEST(DaemonConfigCri, FlagSocketCombinesWithTheFileMirrors) {
  auto c = load_daemon_config(R"({"cri": {"registry-mirrors": {"docker.io": ["http://127.0.0.1:5000"]}}})",
                              json{{"cri", {{"socket", "/x/cri.sock"}}}});
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->cri.socket, "/x/cri.sock");
  EXPECT_EQ(c->cri.registry_mirrors.at("docker.io").size(), 1u);
}

TEST(DaemonConfigCri, SocketGivenBothWaysIsRefused) {
  auto e = cri_error_of(R"({"cri": {"socket": "/a.sock"}})", json{{"cri", {{"socket", "/b.sock"}}}});
  EXPECT_NE(e.find("specified both as a flag and in the configuration file: cri.socket"), std::string::npos) << e;
}

TEST(DaemonConfigCri, BadEntriesNameTheKey) {
  EXPECT_EQ(cri_error_of(R"({"cri": "/run/cri.sock"})"),
            "invalid daemon configuration: cri: expected an object, got string");
  EXPECT_EQ(cri_error_of(R"({"cri": {"sockett": "/run/cri.sock"}})"),
            "invalid daemon configuration: cri.sockett: unknown field");
  EXPECT_EQ(cri_error_of(R"({"cri": {"socket": "cri.sock"}})"),
            "invalid daemon configuration: cri.socket: must be an absolute path");
  EXPECT_EQ(cri_error_of(R"({"cri": {"socket": 5}})"),
            "invalid daemon configuration: cri.socket: expected a string, got number");
  EXPECT_NE(cri_error_of(R"({"cri": {"socket": "/)" + std::string(120, 'x') + R"("}})").find("cri.socket: longer than"),
            std::string::npos);
  EXPECT_EQ(cri_error_of(R"({"cri": {"registry-mirrors": ["http://m"]}})"),
            "invalid daemon configuration: cri.registry-mirrors: expected an object of registry -> [mirror URLs], got array");
  EXPECT_EQ(cri_error_of(R"({"cri": {"registry-mirrors": {"docker.io": "http://m"}}})"),
            "invalid daemon configuration: cri.registry-mirrors.docker.io: expected an array of mirror URLs, got string");
  EXPECT_EQ(cri_error_of(R"({"cri": {"registry-mirrors": {"docker.io": ["127.0.0.1:5000"]}}})"),
            "invalid daemon configuration: cri.registry-mirrors.docker.io[]: \"127.0.0.1:5000\" is not a mirror URL: "
            "it must start with http:// or https://");
  EXPECT_NE(cri_error_of(R"({"cri": {"registry-mirrors": {"docker.io": ["http://u:p@m"]}}})").find("expected scheme://host"),
            std::string::npos);
  EXPECT_NE(cri_error_of(R"({"cri": {"registry-mirrors": {"https://docker.io": ["http://m"]}}})")
                .find("cri.registry-mirrors.https://docker.io: a registry is a host name"),
            std::string::npos);
}

TEST(DaemonConfigCri, CniDirsDefaultAndAreRead) {
  auto d = load_daemon_config("{}", json::object());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->cri.cni_conf_dir, "/etc/cni/net.d");
  EXPECT_EQ(d->cri.cni_bin_dir, "/usr/lib/cni");
  auto c = load_daemon_config(R"({"cri": {"cni-conf-dir": "/tmp/net.d", "cni-bin-dir": "/opt/cni/bin"}})", json::object());
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->cri.cni_conf_dir, "/tmp/net.d");
  EXPECT_EQ(c->cri.cni_bin_dir, "/opt/cni/bin");
}

TEST(DaemonConfigCri, CniDirsMustBeAbsolutePaths) {
  EXPECT_NE(cri_error_of(R"({"cri": {"cni-conf-dir": "net.d"}})").find("cri.cni-conf-dir"), std::string::npos);
  EXPECT_NE(cri_error_of(R"({"cri": {"cni-bin-dir": ""}})").find("cri.cni-bin-dir"), std::string::npos);
  EXPECT_NE(cri_error_of(R"({"cri": {"cni-bin-dir": 3}})").find("cri.cni-bin-dir"), std::string::npos);
}

TEST(DaemonConfigCri, StreamingServerDefaultsToAnyPortOnLoopback) {
  auto d = load_daemon_config("{}", json::object());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->cri.stream_address, "127.0.0.1");
  EXPECT_EQ(d->cri.stream_port, 0);
  auto c = load_daemon_config(R"({"cri": {"stream-address": "10.0.0.5", "stream-port": 10010}})", json::object());
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->cri.stream_address, "10.0.0.5");
  EXPECT_EQ(c->cri.stream_port, 10010);
  // Set in the file, they combine with --cri-socket as the other members do.
  auto f = load_daemon_config(R"({"cri": {"stream-port": 0}})", json{{"cri", {{"socket", "/x/cri.sock"}}}});
  ASSERT_TRUE(f) << f.error().what();
  EXPECT_EQ(f->cri.socket, "/x/cri.sock");
  EXPECT_EQ(f->cri.stream_port, 0);
}

TEST(DaemonConfigCri, StreamingServerSettingsAreCheckedAndNamed) {
  EXPECT_EQ(cri_error_of(R"({"cri": {"stream-address": "localhost"}})"),
            "invalid daemon configuration: cri.stream-address: \"localhost\" is not an IPv4 address");
  EXPECT_EQ(cri_error_of(R"({"cri": {"stream-address": "::1"}})"),
            "invalid daemon configuration: cri.stream-address: \"::1\" is not an IPv4 address");
  EXPECT_EQ(cri_error_of(R"({"cri": {"stream-address": "127.0.0.1:10010"}})"),
            "invalid daemon configuration: cri.stream-address: \"127.0.0.1:10010\" is not an IPv4 address");
  EXPECT_EQ(cri_error_of(R"({"cri": {"stream-address": 127}})"),
            "invalid daemon configuration: cri.stream-address: expected a string, got number");
  EXPECT_EQ(cri_error_of(R"({"cri": {"stream-port": 65536}})"),
            "invalid daemon configuration: cri.stream-port: 65536 is not a port (0 to 65535; 0: any free one)");
  EXPECT_EQ(cri_error_of(R"({"cri": {"stream-port": -1}})"),
            "invalid daemon configuration: cri.stream-port: -1 is not a port (0 to 65535; 0: any free one)");
  EXPECT_EQ(cri_error_of(R"({"cri": {"stream-port": "10010"}})"),
            "invalid daemon configuration: cri.stream-port: expected an integer, got string");
  EXPECT_EQ(cri_error_of(R"({"cri": {"stream_server_port": 10010}})"),
            "invalid daemon configuration: cri.stream_server_port: unknown field");
}
