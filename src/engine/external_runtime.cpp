#include "engine/external_runtime.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "common/fd.hpp"
#include "common/fs.hpp"

extern char** environ;

namespace berth::engine {

namespace {

struct Ran {
  int status = -1;     // exit status; 128+sig when killed
  std::string output;  // stdout+stderr when captured
};

// Runs the runtime and waits for it. capture: its stdout/stderr into Ran::output and stdin
// from /dev/null; otherwise it inherits our fds 0-2 (the container's stdio at create).
Result<Ran> run(const std::vector<std::string>& argv, bool capture) {
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  UniqueFd rd, wr;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (capture) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return fail_sys("pipe");
    rd = UniqueFd(p[0]);
    wr = UniqueFd(p[1]);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, wr.get(), 1);
    posix_spawn_file_actions_adddup2(&fa, wr.get(), 2);
  }
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, argv[0].c_str(), &fa, &attr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  wr.reset();
  if (rc != 0) return fail(sys_error("exec " + argv[0], rc));
  Ran r;
  if (capture) {
    char buf[4096];
    ssize_t n;
    while ((n = read(rd.get(), buf, sizeof buf)) != 0) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      if (r.output.size() < 64 * 1024) r.output.append(buf, static_cast<size_t>(n));
    }
  }
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

// The last error message of a runc JSON log ({"level":"error","msg":...}).
std::string last_logged_error(const std::string& log_path) {
  auto text = read_file(log_path);
  if (!text) return "";
  std::string msg;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("level", "") == "error" && j.contains("msg") && j["msg"].is_string()) msg = j["msg"];
  }
  return msg;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

class ExternalRuntime final : public RuntimeDriver {
 public:
  explicit ExternalRuntime(RuntimeChoice r) : r_(std::move(r)) {}

  Result<runtime::Created> create(const std::string& id, const std::string& bundle, const std::string& work_dir) override {
    std::string pid_file = path_join(work_dir, "runtime.pid"), log = path_join(work_dir, "runtime-log.json");
    (void)unlink(pid_file.c_str());
    auto argv = base({"--log", log, "--log-format", "json"});
    argv.insert(argv.end(), {"create", "--bundle", bundle, "--pid-file", pid_file, id});
    auto ran = BERTH_TRY(run(argv, false), "");
    if (ran.status != 0) return fail(failure(ran, log));
    auto text = read_file(pid_file);
    pid_t pid = text ? static_cast<pid_t>(std::atoi(text->c_str())) : 0;
    if (pid <= 0) {
      (void)remove(id, true);
      return fail(ErrorKind::Internal, r_.name + " create: no pid in " + pid_file);
    }
    runtime::Created c;
    c.pid = pid;
    // The init is ours now (the runtime exited; we are the subreaper): its pidfd tells its exit.
    c.pidfd = UniqueFd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
    if (!c.pidfd) {
      auto err = sys_error("pidfd_open " + std::to_string(pid));
      (void)remove(id, true);
      return fail(err);
    }
    return c;
  }

  Result<> start(const std::string& id) override { return captured({"start", id}); }

  // `runc exec --process --detach`: the process is reparented to us (the subreaper).
  Result<runtime::Created> exec(const std::string& id, const nlohmann::json& process, const std::string& work_dir) override {
    if (process.value("terminal", false))
      return fail(ErrorKind::Invalid, r_.name + ": exec with a terminal is not supported with an external runtime");
    static int serial = 0;
    std::string tag = std::to_string(getpid()) + "-" + std::to_string(++serial);
    std::string proc_file = path_join(work_dir, "exec-" + tag + ".json"), pid_file = path_join(work_dir, "exec-" + tag + ".pid");
    BERTH_CHECK(write_file_atomic(proc_file, process.dump(), 0600), "");
    auto argv = base({"exec", "--process", proc_file, "--pid-file", pid_file, "--detach", id});
    auto ran = run(argv, false);
    auto text = read_file(pid_file);
    (void)unlink(proc_file.c_str());
    (void)unlink(pid_file.c_str());
    if (!ran) return fail(ran.error());
    if (ran->status != 0) return fail(failure(*ran, ""));
    pid_t pid = text ? static_cast<pid_t>(std::atoi(text->c_str())) : 0;
    if (pid <= 0) return fail(ErrorKind::Internal, r_.name + " exec: no pid in " + pid_file);
    runtime::Created c;
    c.pid = pid;
    c.pidfd = UniqueFd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
    if (!c.pidfd) return fail_sys("pidfd_open " + std::to_string(pid));
    return c;
  }
  Result<> kill(const std::string& id, int sig) override { return captured({"kill", id, std::to_string(sig)}); }
  Result<> update(const std::string& id, const nlohmann::json& resources, const std::string& work_dir) override {
    std::string file = path_join(work_dir, "update-resources.json");
    BERTH_CHECK(write_file_atomic(file, resources.dump(), 0600), "");
    auto r = captured({"update", "--resources", file, id});
    (void)unlink(file.c_str());
    return r;
  }
  Result<> remove(const std::string& id, bool force) override {
    if (force) return captured({"delete", "--force", id});
    return captured({"delete", id});
  }

 private:
  std::vector<std::string> base(std::vector<std::string> extra) const {
    std::vector<std::string> argv = {r_.path};
    argv.insert(argv.end(), r_.args.begin(), r_.args.end());
    argv.insert(argv.end(), {"--root", r_.root});
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  Error failure(const Ran& ran, const std::string& log) const {
    std::string msg = log.empty() ? "" : last_logged_error(log);
    if (msg.empty()) msg = trimmed(ran.output);
    if (msg.empty()) msg = "exit status " + std::to_string(ran.status);
    return make_error(ErrorKind::Internal, r_.name + ": " + msg);
  }

  Result<> captured(std::vector<std::string> verb) {
    auto argv = base({});
    argv.insert(argv.end(), verb.begin(), verb.end());
    auto ran = BERTH_TRY(run(argv, true), "");
    if (ran.status != 0) return fail(failure(ran, ""));
    return {};
  }

  RuntimeChoice r_;
};

}  // namespace

std::unique_ptr<RuntimeDriver> make_external_runtime(const RuntimeChoice& r) { return std::make_unique<ExternalRuntime>(r); }

}  // namespace berth::engine
