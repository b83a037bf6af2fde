// Debian's docker-compose (1.29, docker-py underneath) against berthd: a two-service project on
// its own network, where one service reaches the other by its service name through the
// embedded DNS, and `down` leaves no container, network, veth or bridge behind.
#include <gtest/gtest.h>
#include <net/if.h>

#include "api/berthd_fixture.hpp"
#include "api/busybox_archive.hpp"
#include "api/host_links.hpp"

using namespace berth::api::test;

namespace {

const char* kProject = R"(version: "3"
services:
  web:
    image: busybox
    command: sh -c "mkdir -p /www && echo hello-compose > /www/index.html && exec httpd -f -p 80 -h /www"
  client:
    image: busybox
    command: sleep 1000
    depends_on: [web]
)";

}  // namespace

TEST(Compose, TwoServicesReachEachOtherByNameAndDownLeavesNothing) {
  ASSERT_TRUE(berth::test::have_program("docker-compose")) << "Debian's docker-compose is not installed";
  ASSERT_FALSE(busybox_archive().empty());
  Berthd d;
  ASSERT_TRUE(d.ready()) << d.log();
  ASSERT_EQ(d.docker({"load", "-i", busybox_archive()}).status, 0);
  auto links_before = berth_links();
  berth::test::TempDir dir("berth-compose");
  berth::test::write_text(dir / "docker-compose.yml", kProject);
  auto compose = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"env", "DOCKER_HOST=" + d.host(), "docker-compose", "--no-ansi", "-f",
                               dir / "docker-compose.yml", "-p", "proj"});
    return berth::test::run(args, "", std::chrono::seconds(120));
  };
  auto up = compose({"up", "-d"});
  ASSERT_EQ(up.status, 0) << up.out << up.err;
  auto ps = d.docker({"ps", "--format", "{{.Names}} {{.Networks}}"});
  EXPECT_NE(ps.out.find("proj_web_1 proj_default"), std::string::npos) << ps.out;
  EXPECT_NE(ps.out.find("proj_client_1 proj_default"), std::string::npos) << ps.out;
  // The service name, through the embedded DNS (httpd may still be starting: bounded retries).
  std::string body;
  berth::test::wait_until([&] {
    auto r = compose({"exec", "-T", "client", "sh", "-c", "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 web 80"});
    body = r.out;
    return body.find("hello-compose") != std::string::npos;
  }, std::chrono::seconds(20));
  EXPECT_NE(body.find("hello-compose"), std::string::npos) << body;
  auto alias = d.docker({"inspect", "-f", "{{json .NetworkSettings.Networks.proj_default.Aliases}}", "proj_web_1"});
  EXPECT_NE(alias.out.find("\"web\""), std::string::npos) << alias.out;

  auto down = compose({"down"});
  ASSERT_EQ(down.status, 0) << down.out << down.err;
  EXPECT_EQ(d.docker({"ps", "-aq"}).out, "");
  auto nets = d.docker({"network", "ls", "--format", "{{.Name}}"});
  EXPECT_EQ(nets.out, "bridge\nhost\nnone\n");
  EXPECT_EQ(links_settle_at(links_before), links_before) << "veths or bridges left behind";
}
