// Mutual TLS on TCP: the docker client with --tlsverify and a client certificate from the CA
// gets in; without a certificate, or with plain HTTP, it does not. Attach works through it.
#include <gtest/gtest.h>

#include "api/berthd_fixture.hpp"
#include "api/busybox_archive.hpp"
#include "api/tls_certs.hpp"
#include "image/registry_fixture.hpp"

using namespace berth::api::test;
using berth::test::run;
using berth::image::test::free_port;

TEST(Tls, MutualTlsWithTheDockerClient) {
  berth::test::TempDir certs("berth-tls");
  ASSERT_TRUE(make_certs(certs.path()));
  std::string tcp = "tcp://127.0.0.1:" + std::to_string(free_port());
  Berthd d({"-H", tcp, "--tlsverify", "--tlscacert", certs / "ca.pem", "--tlscert", certs / "server.pem", "--tlskey",
            certs / "server-key.pem"});
  ASSERT_TRUE(d.ready()) << d.log();
  auto docker_tls = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {kDocker28, "-H", tcp};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.insert(argv.end(), {"version", "--format", "{{.Server.APIVersion}}"});
    return run(argv, "", std::chrono::seconds(30));
  };
  ASSERT_TRUE(berth::test::wait_until(
      [&] {
        return docker_tls({"--tlsverify", "--tlscacert", certs / "ca.pem", "--tlscert", certs / "cert.pem", "--tlskey",
                           certs / "key.pem"})
                   .status == 0;
      },
      std::chrono::seconds(10)));
  auto ok = docker_tls({"--tlsverify", "--tlscacert", certs / "ca.pem", "--tlscert", certs / "cert.pem", "--tlskey",
                        certs / "key.pem"});
  EXPECT_EQ(ok.out, "1.50\n") << ok.err;
  // A client without a certificate is refused during the handshake.
  auto anon = docker_tls({"--tlsverify", "--tlscacert", certs / "ca.pem"});
  EXPECT_NE(anon.status, 0) << anon.out;
  // Plain HTTP to the TLS port gets nothing.
  auto plain = docker_tls({});
  EXPECT_NE(plain.status, 0) << plain.out;
  // The berth CLI with the same flags, and with docker's environment variables.
  auto ours = run({berth::test::bin("berth"), "-H", tcp, "--tlsverify", "--tlscacert", certs / "ca.pem", "--tlscert",
                   certs / "cert.pem", "--tlskey", certs / "key.pem", "version", "--format", "{{.Server.ApiVersion}}"});
  EXPECT_EQ(ours.out, "1.50\n") << ours.err;
  auto env = run({"env", "DOCKER_TLS_VERIFY=1", "DOCKER_CERT_PATH=" + certs.path(), "DOCKER_HOST=" + tcp,
                  berth::test::bin("berth"), "version", "--format", "{{.Server.ApiVersion}}"});
  EXPECT_EQ(env.out, "1.50\n") << env.err;
  auto no_cert = run({berth::test::bin("berth"), "-H", tcp, "--tlsverify", "--tlscacert", certs / "ca.pem", "images"});
  EXPECT_EQ(no_cert.status, 1);
  // A server certificate from another CA is not trusted.
  auto wrong_ca = run({berth::test::bin("berth"), "-H", tcp, "--tlsverify", "--tlscacert", certs / "cert.pem",
                       "--tlscert", certs / "cert.pem", "--tlskey", certs / "key.pem", "images"});
  EXPECT_EQ(wrong_ca.status, 1);
  EXPECT_NE(wrong_ca.err.find("TLS handshake"), std::string::npos) << wrong_ca.err;
  // The unix socket stays plain and works alongside.
  EXPECT_EQ(d.docker({"version", "--format", "{{.Server.APIVersion}}"}).out, "1.50\n");
}

TEST(Tls, NonLoopbackNeedsTls) {
  berth::test::TempDir dir("berth-tls-refuse");
  auto r = run({berth::test::bin("berthd"), "--data-root", dir / "data", "--exec-root", dir / "exec", "-H",
                "tcp://0.0.0.0:" + std::to_string(free_port()), "--tlsverify", "--tlscacert", dir / "missing-ca.pem",
                "--tlscert", dir / "missing.pem", "--tlskey", dir / "missing-key.pem"},
               "", std::chrono::seconds(20));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("TLS: certificate"), std::string::npos) << r.err;
}

// Attach over TLS: the daemon relays the hijacked stream through its TLS connection, the berth
// CLI through a relay of its own; stdin's EOF, the output and the exit code cross both.
TEST(Tls, AttachThroughTls) {
  berth::test::TempDir certs("berth-tls-attach");
  ASSERT_TRUE(make_certs(certs.path()));
  ASSERT_FALSE(busybox_archive().empty());
  std::string tcp = "tcp://127.0.0.1:" + std::to_string(free_port());
  Berthd d({"-H", tcp, "--tlsverify", "--tlscacert", certs / "ca.pem", "--tlscert", certs / "server.pem", "--tlskey",
            certs / "server-key.pem"});
  ASSERT_TRUE(d.ready()) << d.log();
  ASSERT_EQ(d.docker({"load", "-i", busybox_archive()}).status, 0);
  std::vector<std::string> tls = {"-H", tcp, "--tlsverify", "--tlscacert", certs / "ca.pem", "--tlscert",
                                  certs / "cert.pem", "--tlskey", certs / "key.pem"};
  auto with = [&](const std::string& client, std::vector<std::string> args) {
    args.insert(args.begin(), tls.begin(), tls.end());
    args.insert(args.begin(), client);
    return args;
  };
  ASSERT_TRUE(berth::test::wait_until([&] { return run(with(kDocker28, {"version"}), "", std::chrono::seconds(30)).status == 0; },
                                      std::chrono::seconds(10)));
  // The docker clients never tell the end of stdin over TLS (no close_notify, no FIN): stdin's
  // EOF is the berth CLI's alone to test here.
  auto cat = run(with(berth::test::bin("berth"), {"run", "--rm", "-i", "busybox", "cat"}), "through\ntls",
                 std::chrono::seconds(60));
  EXPECT_EQ(cat.status, 0) << cat.err << d.log();
  EXPECT_EQ(cat.out, "through\ntls");
  for (const auto& client : {berth::test::bin("berth"), kDocker28}) {
    auto code = run(with(client, {"run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 7"}), "",
                    std::chrono::seconds(60));
    EXPECT_EQ(code.status, 7) << client << ": " << code.err;
    EXPECT_EQ(code.out, "out\n") << client;
    EXPECT_EQ(code.err, "err\n") << client;
  }
}
