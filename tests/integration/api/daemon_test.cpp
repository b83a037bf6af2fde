// berthd as a process: two side by side, clean shutdown, --validate, and start-up refusals.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <grp.h>
#include <sys/stat.h>

#include "api/berthd_fixture.hpp"
#include "api/busybox_archive.hpp"
#include "image/registry_fixture.hpp"

using namespace berth::api::test;
using berth::test::run;

TEST(Berthd, TwoInstancesSideBySide) {
  ASSERT_FALSE(busybox_archive().empty());
  Berthd a, b;
  ASSERT_TRUE(a.ready()) << a.log();
  ASSERT_TRUE(b.ready()) << b.log();
  ASSERT_EQ(a.docker({"load", "-i", busybox_archive()}).status, 0);
  EXPECT_EQ(a.docker({"images", "-q"}).out.size(), 13u);
  EXPECT_EQ(b.docker({"images", "-q"}).out, "");
  EXPECT_NE(a.docker({"info", "--format", "{{.DockerRootDir}}"}).out,
            b.docker({"info", "--format", "{{.DockerRootDir}}"}).out);
}

TEST(Berthd, SigtermRemovesSocketAndPidfile) {
  Berthd d;
  ASSERT_TRUE(d.ready()) << d.log();
  struct stat st{};
  ASSERT_EQ(stat(d.socket_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  EXPECT_EQ(berth::test::read_text(d.path("berthd.pid")), std::to_string(d.pid()) + "\n");
  // A client streaming events does not hold the shutdown up.
  ASSERT_EQ(d.docker({"version"}).status, 0);
  int baseline = d.fd_count();
  auto bg = berth::test::sh(kDocker28 + " -H " + d.host() + " events > /dev/null 2>&1 & echo $!");
  pid_t events = std::stoi(bg.out);
  // Its connection is open in the daemon once the daemon holds one more fd.
  ASSERT_TRUE(berth::test::wait_until([&] { return d.fd_count() > baseline; }, std::chrono::seconds(10)));
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(d.stop(), 0) << d.log();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  kill(events, SIGKILL);
  EXPECT_NE(access(d.socket_path().c_str(), F_OK), 0);
  EXPECT_NE(access(d.path("berthd.pid").c_str(), F_OK), 0);
}

TEST(Berthd, SecondDaemonOnSameRootIsRefused) {
  Berthd d;
  ASSERT_TRUE(d.ready()) << d.log();
  auto r = run({berth::test::bin("berthd"), "--data-root", d.path("data"), "--exec-root", d.path("exec2"), "-H",
                "unix://" + d.path("other.sock"), "--pidfile", d.path("other.pid")},
               "", std::chrono::seconds(20));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("is in use by another berthd"), std::string::npos) << r.err;
  EXPECT_TRUE(d.connectable());  // the first one is untouched
  EXPECT_NE(access(d.path("other.sock").c_str(), F_OK), 0);
}

TEST(Berthd, ValidateChecksDaemonJson) {
  berth::test::TempDir dir("berth-validate");
  auto validate = [&](const std::string& json, std::vector<std::string> extra = {}) {
    berth::test::write_text(dir / "daemon.json", json);
    std::vector<std::string> argv = {berth::test::bin("berthd"), "--validate", "--config-file", dir / "daemon.json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run(argv);
  };
  auto ok = validate(R"({"debug": true, "storage-driver": "overlay2", "log-opts": {"max-size": "10m"}})");
  EXPECT_EQ(ok.status, 0) << ok.err;
  EXPECT_EQ(ok.out, "configuration OK\n");
  auto unknown = validate(R"({"no-such-key": 1})");
  EXPECT_EQ(unknown.status, 1);
  EXPECT_NE(unknown.err.find("no-such-key: unknown configuration key"), std::string::npos) << unknown.err;
  auto type = validate(R"({"debug": "yes"})");
  EXPECT_EQ(type.status, 1);
  EXPECT_NE(type.err.find("debug: expected a boolean"), std::string::npos) << type.err;
  auto driver = validate(R"({"storage-driver": "devicemapper"})");
  EXPECT_EQ(driver.status, 1);
  EXPECT_NE(driver.err.find("storage driver \"devicemapper\" is not supported"), std::string::npos) << driver.err;
  auto both = validate(R"({"debug": true})", {"--debug"});
  EXPECT_EQ(both.status, 1);
  EXPECT_NE(both.err.find("specified both as a flag and in the configuration file: debug"), std::string::npos)
      << both.err;
  auto host = validate(R"({"hosts": ["ftp://x"]})");
  EXPECT_EQ(host.status, 1);
  EXPECT_NE(host.err.find("invalid host ftp://x"), std::string::npos) << host.err;
  auto missing = run({berth::test::bin("berthd"), "--validate", "--config-file", dir / "absent.json"});
  EXPECT_EQ(missing.status, 1);
}

TEST(Berthd, PlainTcpOnlyOnLoopback) {
  berth::test::TempDir dir("berth-tcp");
  auto r = run({berth::test::bin("berthd"), "--data-root", dir / "data", "--exec-root", dir / "exec", "-H",
                "tcp://0.0.0.0:23750"},
               "", std::chrono::seconds(20));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("plain TCP is only served on loopback addresses"), std::string::npos) << r.err;
  EXPECT_NE(access((dir / "exec/berthd.pid").c_str(), F_OK), 0);  // nothing left behind
}

TEST(Berthd, LoopbackTcpServesTheDockerClient) {
  int port = berth::image::test::free_port();
  std::string tcp = "tcp://127.0.0.1:" + std::to_string(port);
  Berthd d({"-H", tcp});
  ASSERT_TRUE(d.ready()) << d.log();
  ASSERT_TRUE(berth::test::wait_until(
      [&] { return run({kDocker28, "-H", tcp, "version", "--format", "{{.Server.APIVersion}}"}).status == 0; },
      std::chrono::seconds(10)));
  EXPECT_EQ(run({kDocker28, "-H", tcp, "version", "--format", "{{.Server.APIVersion}}"}).out, "1.50\n");
  auto warn = run({kDocker28, "-H", tcp, "info", "--format", "{{json .Warnings}}"});
  EXPECT_EQ(warn.out, "[\"WARNING: API is accessible on http://127.0.0.1:" + std::to_string(port) +
                          " without encryption.\"]\n");
  auto counts = run({kDocker28, "-H", tcp, "info", "--format", "{{.NFd}} {{.NGoroutines}}"});
  EXPECT_EQ(counts.out.find("0 "), std::string::npos) << counts.out;
}

TEST(Berthd, PingHeadersAsDockerd) {
  Berthd d;
  ASSERT_TRUE(d.ready()) << d.log();
  for (const char* method : {"GET", "HEAD"}) {
    auto r = raw_request(d.socket_path(), method, "/_ping");
    EXPECT_EQ(r.status, 200) << method;
    for (const char* h : {"Api-Version: 1.50", "Docker-Experimental: false", "Ostype: linux", "Builder-Version: 1",
                          "Cache-Control: no-cache, no-store, must-revalidate", "Pragma: no-cache"})
      EXPECT_NE(r.head.find(h), std::string::npos) << method << " " << h << "\n" << r.head;
    EXPECT_EQ(r.body, std::string(method) == "GET" ? "OK" : "");
  }
}

TEST(Berthd, VanishedAndStalledClientsLeakNothing) {
  Berthd d;
  ASSERT_TRUE(d.ready()) << d.log();
  ASSERT_EQ(d.docker({"version"}).status, 0);  // everything opened lazily is open now
  ASSERT_TRUE(berth::test::wait_until([&] { return d.fd_count() > 0; }, std::chrono::seconds(5)));
  int baseline = d.fd_count();
  {
    // Clients that go away mid-stream, mid-request, or after half a header.
    std::vector<berth::UniqueFd> clients;
    for (int i = 0; i < 20; ++i) {
      berth::UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
      sockaddr_un sa{};
      sa.sun_family = AF_UNIX;
      std::strncpy(sa.sun_path, d.socket_path().c_str(), sizeof sa.sun_path - 1);
      ASSERT_EQ(connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
      std::string req = i % 3 == 0   ? "GET /v1.50/events HTTP/1.1\r\nHost: x\r\n\r\n"
                        : i % 3 == 1 ? "POST /v1.50/images/load HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nab"
                                     : "GET /_ping HTTP/1.1\r\nHo";
      ASSERT_GT(send(fd.get(), req.data(), req.size(), MSG_NOSIGNAL), 0);
      clients.push_back(std::move(fd));
    }
    // While they hang, others are served.
    auto v = d.docker({"version", "--format", "{{.Server.APIVersion}}"});
    EXPECT_EQ(v.out, "1.50\n") << v.err;
  }  // all 20 vanish here
  bool back = berth::test::wait_until([&] { return d.fd_count() <= baseline; }, std::chrono::seconds(10));
  EXPECT_TRUE(back) << "berthd holds " << d.fd_count() << " fds, " << baseline << " before";
  EXPECT_EQ(d.docker({"images", "-q"}).status, 0);
}

TEST(Berthd, SocketGroupFromFlag) {
  // "daemon" is one of Debian's base groups; the socket becomes root:daemon 0660.
  struct group* g = getgrnam("daemon");
  ASSERT_NE(g, nullptr);
  Berthd d({"--group", "daemon", "--debug"});
  ASSERT_TRUE(d.ready()) << d.log();
  struct stat st{};
  ASSERT_EQ(stat(d.socket_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(st.st_gid, g->gr_gid);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  ASSERT_EQ(d.docker({"version"}).status, 0);
  EXPECT_NE(d.log().find("Calling GET /v1.50/version"), std::string::npos) << d.log();  // --debug logs requests
}

TEST(Berthd, ParallelClients) {
  ASSERT_FALSE(busybox_archive().empty());
  Berthd d;
  ASSERT_TRUE(d.ready()) << d.log();
  // Eight clients at once: four load the same archive, four list; every one succeeds.
  std::string cmd;
  for (int i = 0; i < 4; ++i) {
    cmd += kDocker28 + " -H " + d.host() + " load -q -i " + busybox_archive() + " > " + d.path("load" + std::to_string(i)) +
           " 2>&1 || echo fail >> " + d.path("failures") + " &\n";
    cmd += kDocker20 + " -H " + d.host() + " images > /dev/null 2>&1 || echo fail >> " + d.path("failures") + " &\n";
  }
  cmd += "wait\n";
  auto r = berth::test::sh(cmd, std::chrono::seconds(120));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(berth::test::read_text(d.path("failures")), "") << berth::test::read_text(d.path("load0"));
  EXPECT_EQ(d.docker({"images", "--format", "{{.Repository}}:{{.Tag}}"}).out, "busybox:latest\n");
}

TEST(Berthd, ConfigFileAloneSetsRootsHostsAndLogLevel) {
  berth::test::TempDir dir("berth-config");
  std::string sock = dir / "from-file.sock";
  berth::test::write_text(dir / "daemon.json", "{\"data-root\": \"" + (dir / "data") + "\", \"exec-root\": \"" +
                                                   (dir / "exec") + "\", \"hosts\": [\"unix://" + sock +
                                                   "\"], \"log-level\": \"warn\"}");
  pid_t pid = fork();
  if (pid == 0) {
    int log = open((dir / "log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    dup2(log, 2);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    execl(berth::test::bin("berthd").c_str(), "berthd", "--config-file", (dir / "daemon.json").c_str(), nullptr);
    _exit(127);
  }
  bool up = berth::test::wait_until([&] { return access(sock.c_str(), F_OK) == 0; }, std::chrono::seconds(20));
  EXPECT_TRUE(up) << berth::test::read_text(dir / "log");
  auto info = run({kDocker28, "-H", "unix://" + sock, "info", "--format", "{{.DockerRootDir}}"});
  EXPECT_EQ(info.out, dir / "data\n") << info.err;
  EXPECT_EQ(access((dir / "exec/berthd.pid").c_str(), F_OK), 0);  // the pid file follows the exec root
  kill(pid, SIGTERM);
  int st = 0;
  EXPECT_TRUE(berth::test::wait_until([&] { return waitpid(pid, &st, WNOHANG) == pid; }, std::chrono::seconds(15)));
  // At warn level the info lines ("API listen on", "shutting down") are not written.
  EXPECT_EQ(berth::test::read_text(dir / "log").find("level=info"), std::string::npos) << berth::test::read_text(dir / "log");
  EXPECT_NE(access(sock.c_str(), F_OK), 0);
}

TEST(Berthd, StuckEventsReaderDoesNotBlockPublishers) {
  ASSERT_FALSE(busybox_archive().empty());
  Berthd d;
  ASSERT_TRUE(d.ready()) << d.log();
  ASSERT_EQ(d.docker({"load", "-i", busybox_archive()}).status, 0);
  // An events client that never reads: its socket buffer fills and its handler blocks writing.
  berth::UniqueFd stuck(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, d.socket_path().c_str(), sizeof sa.sun_path - 1);
  ASSERT_EQ(connect(stuck.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  std::string req = "GET /v1.50/events HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_GT(send(stuck.get(), req.data(), req.size(), MSG_NOSIGNAL), 0);
  // Each tag publishes an event of ~400 bytes; 1500 of them overflow any socket buffer.
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 1500; ++i) {
    auto r = raw_request(d.socket_path(), "POST", "/v1.50/images/busybox/tag?repo=many&tag=t" + std::to_string(i));
    ASSERT_EQ(r.status, 201) << i << " " << r.body;
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(60));
  EXPECT_EQ(d.docker({"version", "--format", "{{.Server.APIVersion}}"}).out, "1.50\n");
}
