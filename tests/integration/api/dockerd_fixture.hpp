// A private dockerd for side-by-side comparisons with berthd: its own data root, exec root,
// socket, pid file and cgroup parent under a temp dir, no bridge and no iptables (unless asked,
// inside a network namespace of the test's own: DockerdOptions). Destruction
// removes its containers, stops it (SIGTERM, then SIGKILL of its process group after a bounded
// wait), and removes the cgroups and the /run directories it made.
#pragma once
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/support.hpp"

namespace berth::api::test {

struct DockerdOptions {
  std::vector<std::string> prefix;  // a command dockerd runs under (nsenter into a netns)
  bool networking = false;          // its default bridge and iptables rules (in a netns only!)
};

class Dockerd {
 public:
  explicit Dockerd(DockerdOptions o = {})
      : dir_("berth-cmp-dockerd"), cgroup_("berth-cmp-docker-" + std::to_string(getpid())) {
    for (const char* d : {"/run/docker", "/run/docker/plugins", "/run/containerd", "/run/containerd/s",
                          "/run/containerd/fifo", "/run/containerd/runc"})
      if (access(d, F_OK) != 0) strays_.push_back(d);
    sock_ = dir_ / "d.sock";
    berth::test::write_text(dir_ / "daemon.json", "{}");
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);
      int log = open((dir_ / "dockerd.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      dup2(log, 1);
      dup2(log, 2);
      prctl(PR_SET_PDEATHSIG, SIGTERM);  // a crashed test takes its peer with it
      std::vector<std::string> argv = o.prefix;
      for (std::string a : {std::string("dockerd"), std::string("--config-file"), dir_ / "daemon.json",
                            std::string("--data-root"), dir_ / "data", std::string("--exec-root"), dir_ / "exec",
                            std::string("-H"), "unix://" + sock_, std::string("--pidfile"), dir_ / "dockerd.pid",
                            std::string("--cgroup-parent"), "/" + cgroup_})
        argv.push_back(a);
      if (!o.networking) argv.insert(argv.end(), {"--bridge", "none", "--iptables=false", "--ip6tables=false"});
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
    ready_ = berth::test::wait_until([&] { return docker({"version"}).status == 0; }, std::chrono::seconds(60),
                                     std::chrono::milliseconds(200));
  }
  ~Dockerd() {
    if (pid_ <= 0) return;
    if (ready_) {
      auto ids = docker({"ps", "-aq"});
      std::istringstream in(ids.out);
      std::vector<std::string> rm = {"rm", "-f"};
      for (std::string id; std::getline(in, id);)
        if (!id.empty()) rm.push_back(id);
      if (rm.size() > 2) docker(rm);
    }
    kill(pid_, SIGTERM);
    bool gone = berth::test::wait_until([&] { return waitpid(pid_, nullptr, WNOHANG) == pid_; }, std::chrono::seconds(30));
    if (!gone) {
      kill(-pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    kill(-pid_, SIGKILL);  // its managed containerd, if still there, is in our process group
    remove_cgroups();
    for (auto it = strays_.rbegin(); it != strays_.rend(); ++it) {
      std::error_code ec;
      if (it->ends_with("/runc")) std::filesystem::remove_all(*it, ec);
      rmdir(it->c_str());
    }
  }
  bool ready() const { return ready_; }
  std::string host() const { return "unix://" + sock_; }
  std::string log() const { return berth::test::read_text(dir_ / "dockerd.log"); }
  berth::test::CmdResult docker(std::vector<std::string> args, const std::string& client = "/usr/local/bin/docker") const {
    args.insert(args.begin(), {client, "--config", dir_ / "docker-config", "-H", host()});
    return berth::test::run(args, "", std::chrono::seconds(120));
  }

 private:
  // The cgroup parent on every hierarchy, deepest first.
  void remove_cgroups() const {
    std::ifstream mi("/proc/self/mountinfo");
    for (std::string line; std::getline(mi, line);) {
      auto dash = line.find(" - ");
      if (dash == std::string::npos) continue;
      std::istringstream rest(line.substr(dash + 3));
      std::string type;
      rest >> type;
      if (type != "cgroup" && type != "cgroup2") continue;
      std::istringstream head(line);
      std::string f[5];
      for (auto& x : f) head >> x;
      std::filesystem::path top = f[4] + "/" + cgroup_;
      std::error_code ec;
      if (!std::filesystem::exists(top, ec)) continue;
      std::vector<std::filesystem::path> dirs;
      for (std::filesystem::recursive_directory_iterator it(top, ec), end; !ec && it != end; it.increment(ec))
        if (it->is_directory(ec)) dirs.push_back(it->path());
      for (auto d = dirs.rbegin(); d != dirs.rend(); ++d) rmdir(d->c_str());
      rmdir(top.c_str());
    }
  }

  berth::test::TempDir dir_;
  std::string cgroup_, sock_;
  std::vector<std::string> strays_;
  pid_t pid_ = -1;
  bool ready_ = false;
};

}  // namespace berth::api::test
