// The CRI suite's peers: two docker-registry instances on 127.0.0.1 seeded once per suite (one
// open, one behind htpasswd as alice/secret) with busybox under the paths a mirror of docker.io
// and of registry.k8s.io serves, and a private berthd whose CRI socket crictl is pointed at.
#pragma once
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "api/berthd_fixture.hpp"
#include "api/busybox_archive.hpp"
#include "image/registry_fixture.hpp"
#include "support/support.hpp"

namespace berth::cri::test {

// cri-tools 1.26's crictl (Debian has no package of it): $BERTH_CRICTL, else the build beside
// the checkout (../shared/tools), the project machine's /work/shared/tools, or crictl on PATH;
// "" when there is none.
inline std::string crictl_path() {
  const char* env = std::getenv("BERTH_CRICTL");
  if (env && *env) return env;
  for (std::string p : {std::string(BERTH_SOURCE_DIR "/../shared/tools/crictl"), std::string("/work/shared/tools/crictl"),
                        std::string("/usr/local/bin/crictl"), std::string("/usr/bin/crictl")})
    if (access(p.c_str(), X_OK) == 0) return p;
  return "";
}

// The crictl tests skip, naming what is missing, on a machine without crictl.
#define BERTH_NEED_CRICTL()                                                                       \
  do {                                                                                            \
    if (berth::cri::test::crictl_path().empty())                                                  \
      GTEST_SKIP() << "crictl (cri-tools 1.26) not found: set BERTH_CRICTL to run the CRI tests"; \
  } while (0)

// crictl's output: its non-empty lines ("-q" lists), and without the trailing newline (an ID).
inline std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < s.size()) {
    auto nl = s.find('\n', at);
    if (nl == std::string::npos) nl = s.size();
    if (nl > at) out.push_back(s.substr(at, nl - at));
    at = nl + 1;
  }
  return out;
}
inline std::string trim_end(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

struct SeededRegistries {
  berth::test::TempDir dir{"berth-cri-registries"};
  std::unique_ptr<berth::image::test::Registry> open, with_auth;
  std::string error;  // empty when seeding worked

  SeededRegistries() {
    auto pw = berth::test::run({"htpasswd", "-Bbn", "alice", "secret"});
    berth::test::write_text(dir / "htpasswd", pw.out);
    open = std::make_unique<berth::image::test::Registry>(dir / "open");
    with_auth = std::make_unique<berth::image::test::Registry>(
        dir / "auth", "  htpasswd:\n    realm: basic-realm\n    path: " + (dir / "htpasswd") + "\n");
    if (!open->ready() || !with_auth->ready()) {
      error = "registry did not start: " + open->log() + with_auth->log();
      return;
    }
    // A daemon of its own pushes the seed images (a USER 1000 one too, built without a container).
    berth::api::test::Berthd seeder;
    auto step = [&](const std::vector<std::string>& args, const std::string& input = "") {
      if (!error.empty()) return;
      auto r = seeder.docker(args, berth::api::test::kDocker28, input);
      if (r.status != 0) error = "seed: docker " + args.front() + " " + args.back() + ": " + r.out + r.err;
    };
    std::string o = open->host(), a = with_auth->host();
    step({"load", "-i", berth::api::test::busybox_archive()});
    for (auto& target : {o + "/library/busybox:latest", o + "/pause:3.9", a + "/library/busybox:latest"})
      step({"tag", "busybox", target});
    auto built = berth::test::run({"env", "DOCKER_BUILDKIT=0", berth::api::test::kDocker28, "--config",
                                   seeder.path("docker-config"), "-H", seeder.host(), "build", "-t",
                                   o + "/library/withuser:1", "-"},
                                  "FROM busybox\nUSER 1000\n", std::chrono::seconds(120));
    if (built.status != 0 && error.empty()) error = "seed: build: " + built.out + built.err;
    step({"push", o + "/library/busybox:latest"});
    step({"push", o + "/pause:3.9"});
    step({"push", o + "/library/withuser:1"});
    step({"login", "-u", "alice", "--password-stdin", a}, "secret\n");
    step({"push", a + "/library/busybox:latest"});
  }
};

// A berthd serving the CRI on <dir>/cri.sock (daemon.json's "cri" object gets the socket unless
// the test's own JSON names one), with crictl pointed at it. prefix: a command berthd runs
// under (nsenter into a test network namespace: pods' CNI bridges and rules stay there).
class CriDaemon {
 public:
  explicit CriDaemon(nlohmann::json cri = nlohmann::json::object(), std::vector<std::string> extra = {},
                     std::vector<std::string> prefix = {})
      : dir_("berth-cri"), socket_(dir_ / "cri.sock"), prefix_(prefix), d_(std::move(extra), [&] {
          if (!cri.contains("socket")) cri["socket"] = socket_;
          return nlohmann::json{{"cri", cri}}.dump();
        }(), std::move(prefix)) {
    // crictl reads its config file when one exists (/etc/crictl.yaml): give it one of its own.
    berth::test::write_text(dir_ / "crictl.yaml", "runtime-endpoint: unix://" + socket_ + "\nimage-endpoint: unix://" +
                                                       socket_ + "\ntimeout: 60\n");
    // The CRI socket comes up after the Engine API's, which is what the Berthd fixture waits for.
    ready_ = d_.ready() && berth::test::wait_until([&] { return connectable(socket_); }, std::chrono::seconds(20));
  }
  // Both the Engine API and the CRI socket accept connections.
  bool ready() const { return ready_; }

  berth::api::test::Berthd& berthd() { return d_; }
  const std::string& socket() const { return socket_; }
  // crictl under berthd's prefix too, as a kubelet on the same node: the streaming server's
  // URLs (exec, attach, port-forward) are on 127.0.0.1 of berthd's network namespace.
  std::vector<std::string> crictl_argv(std::vector<std::string> args) const {
    args.insert(args.begin(), {crictl_path(), "--config", dir_ / "crictl.yaml", "--runtime-endpoint", "unix://" + socket_,
                               "--image-endpoint", "unix://" + socket_, "--timeout", "60s"});
    args.insert(args.begin(), prefix_.begin(), prefix_.end());
    return args;
  }
  berth::test::CmdResult crictl(std::vector<std::string> args, const std::string& input = "") const {
    return berth::test::run(crictl_argv(std::move(args)), input, std::chrono::seconds(120));
  }

 private:
  berth::test::TempDir dir_;
  std::string socket_;
  std::vector<std::string> prefix_;
  berth::api::test::Berthd d_;
  bool ready_ = false;

  static bool connectable(const std::string& path) {
    berth::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
    return connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  }
};

}  // namespace berth::cri::test
