#include "peer_support.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace berth::peers {

std::string runtime_binary() { return test::bin("berth-runtime"); }

namespace {

std::string sha256_of(const std::string& path) {
  auto r = test::run({"sha256sum", path});
  if (r.status != 0 || r.out.size() < 64) throw std::runtime_error("sha256sum " + path + ": " + r.err);
  return r.out.substr(0, 64);
}

}  // namespace

std::string make_busybox_archive(const std::string& dir, const std::string& repo_tag) {
  std::string rootfs = dir + "/rootfs", stage = dir + "/archive";
  fs::create_directories(stage);
  test::make_busybox_rootfs(rootfs);
  std::string layer = dir + "/layer.tar";
  auto t = test::run({"tar", "--numeric-owner", "-C", rootfs, "-cf", layer, "."});
  if (t.status != 0) throw std::runtime_error("tar layer: " + t.err);
  std::string diff_id = sha256_of(layer);

  nlohmann::json config = {
      {"architecture", "amd64"},
      {"os", "linux"},
      {"config",
       {{"Env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}}, {"Cmd", {"sh"}}}},
      {"rootfs", {{"type", "layers"}, {"diff_ids", {"sha256:" + diff_id}}}},
      {"history", {{{"created_by", "berth peer test: busybox-static"}}}}};
  std::string config_path = dir + "/config.json";
  test::write_text(config_path, config.dump());
  std::string config_id = sha256_of(config_path);

  fs::create_directories(stage + "/" + diff_id);
  fs::rename(layer, stage + "/" + diff_id + "/layer.tar");
  fs::rename(config_path, stage + "/" + config_id + ".json");
  nlohmann::json manifest = nlohmann::json::array(
      {{{"Config", config_id + ".json"}, {"RepoTags", {repo_tag}}, {"Layers", {diff_id + "/layer.tar"}}}});
  test::write_text(stage + "/manifest.json", manifest.dump());

  std::string archive = dir + "/image.tar";
  auto a = test::run({"tar", "-C", stage, "-cf", archive, "."});
  if (a.status != 0) throw std::runtime_error("tar archive: " + a.err);
  fs::remove_all(stage);
  fs::remove_all(rootfs);
  return archive;
}

Daemon::Daemon(std::vector<std::string> argv, std::string log_path) : log_(std::move(log_path)) {
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork");
  if (pid_ == 0) {
    setpgid(0, 0);
    int out = open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int in = open("/dev/null", O_RDONLY);
    dup2(in, 0);
    dup2(out, 1);
    dup2(out, 2);
    execvp(args[0], args.data());
    dprintf(2, "exec %s: %s\n", args[0], strerror(errno));
    _exit(127);
  }
}

bool Daemon::running() const { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }

bool Daemon::stop(std::chrono::seconds timeout) {
  if (pid_ <= 0) return true;
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  kill(pid_, SIGTERM);
  bool clean = false;
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    clean = poll(&p, 1, static_cast<int>(std::chrono::milliseconds(timeout).count())) == 1;
    close(pidfd);
  }
  kill(-pid_, SIGKILL);  // whatever is left in its process group
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return clean;
}

Daemon::~Daemon() { stop(); }

std::string Daemon::log_tail(size_t bytes) const {
  std::string s = test::read_text(log_);
  return s.size() > bytes ? s.substr(s.size() - bytes) : s;
}

namespace {

std::vector<std::string> hierarchy_roots() {
  std::vector<std::string> roots;
  std::ifstream mi("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mi, line)) {
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream rest(line.substr(dash + 3));
    std::string type;
    rest >> type;
    if (type != "cgroup" && type != "cgroup2") continue;
    std::istringstream head(line);
    std::string f[5];
    for (auto& x : f) head >> x;
    roots.push_back(f[4]);
  }
  return roots;
}

void remove_tree(const fs::path& p) {
  std::error_code ec;
  if (!fs::is_directory(p, ec)) return;
  for (auto& e : fs::directory_iterator(p, ec))
    if (e.is_directory(ec)) remove_tree(e.path());
  rmdir(p.c_str());  // cgroup dirs are removed with rmdir, never by unlinking their files
}

}  // namespace

CgroupParentCleanup::~CgroupParentCleanup() {
  for (auto& root : hierarchy_roots()) remove_tree(root + "/" + name_);
}

bool CgroupParentCleanup::any_left_below(const std::string& child) const {
  for (auto& root : hierarchy_roots())
    if (access((root + "/" + name_ + "/" + child).c_str(), F_OK) == 0) return true;
  return false;
}

StrayDirs::StrayDirs(std::vector<std::string> paths) {
  for (auto& p : paths)
    if (access(p.c_str(), F_OK) != 0) created_.push_back(p);
}

StrayDirs::~StrayDirs() {
  // Deepest first so a parent we created goes after its children.
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
    // berth-runtime's compiled seccomp programs under its default --root are ours to remove.
    if (it->ends_with("/.seccomp-cache")) {
      std::error_code ec;
      fs::remove_all(*it, ec);
    }
    rmdir(it->c_str());
  }
}

std::vector<pid_t> processes_mentioning(const std::string& needle) {
  std::vector<pid_t> out;
  DIR* d = opendir("/proc");
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    char* end;
    long pid = strtol(e->d_name, &end, 10);
    if (*end || pid <= 0 || pid == getpid()) continue;
    std::string cmd = test::read_text("/proc/" + std::string(e->d_name) + "/cmdline");
    for (auto& c : cmd)
      if (c == '\0') c = ' ';
    if (cmd.find(needle) != std::string::npos) out.push_back(static_cast<pid_t>(pid));
  }
  closedir(d);
  return out;
}

std::vector<std::string> mounts_below(const std::string& dir) {
  std::vector<std::string> out;
  std::ifstream mi("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mi, line)) {
    std::istringstream ss(line);
    std::string f[5];
    for (auto& x : f) ss >> x;
    if (f[4] == dir || f[4].rfind(dir + "/", 0) == 0) out.push_back(f[4]);
  }
  return out;
}

}  // namespace berth::peers
