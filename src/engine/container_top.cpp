#include "engine/container_top.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "common/fd.hpp"
#include "engine/container_service.hpp"
#include "runtime/container.hpp"

extern char** environ;

namespace berth::engine {

using nlohmann::json;

namespace {

// Space-separated fields (ASCII whitespace only, as dockerd splits).
std::vector<std::string> fields_of(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string f; in >> f;) out.push_back(f);
  return out;
}

json row_of(const std::vector<std::string>& fields, size_t ncols) {
  json row = json::array();
  for (size_t i = 0; i + 1 < ncols && i < fields.size(); ++i) row.push_back(fields[i]);
  std::string rest;
  for (size_t i = ncols - 1; i < fields.size(); ++i) rest += (rest.empty() ? "" : " ") + fields[i];
  row.push_back(rest);
  return row;
}

struct PsOutput {
  int status = -1;
  std::string out, err;
};

// Runs ps with args, collecting stdout and stderr (polled together: neither pipe can fill up).
Result<PsOutput> run_ps(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"ps"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  int po[2], pe[2];
  if (pipe2(po, O_CLOEXEC) != 0) return fail_sys("ps: pipe");
  UniqueFd out_r(po[0]), out_w(po[1]);
  if (pipe2(pe, O_CLOEXEC) != 0) return fail_sys("ps: pipe");
  UniqueFd err_r(pe[0]), err_w(pe[1]);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_w.get(), 1);
  posix_spawn_file_actions_adddup2(&fa, err_w.get(), 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, "ps", &fa, &attr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  out_w.reset();
  err_w.reset();
  if (rc != 0) return fail(sys_error("ps", rc));
  PsOutput r;
  pollfd p[2] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}};
  std::string* sink[2] = {&r.out, &r.err};
  int open_fds = 2;
  while (open_fds > 0) {
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[8192];
      ssize_t n = read(p[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        p[i].fd = -1;
        --open_fds;
        continue;
      }
      if (sink[i]->size() < (16u << 20)) sink[i]->append(buf, static_cast<size_t>(n));
    }
  }
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

}  // namespace

Result<> validate_ps_args(const std::string& ps_args) {
  static const std::regex renamed(R"(\s+([^\s]*)=\s*(PID[^\s]*))");
  for (std::sregex_iterator it(ps_args.begin(), ps_args.end(), renamed), end; it != end; ++it)
    if ((*it)[1] != "pid")
      return fail(ErrorKind::Invalid, "specifying \"" + (*it)[1].str() + "=" + (*it)[2].str() + "\" is not allowed");
  return {};
}

Result<json> filter_ps_output(const std::string& output, const std::vector<pid_t>& pids) {
  std::istringstream in(output);
  std::string header;
  std::getline(in, header);
  auto titles = fields_of(header);
  auto pid_col = std::find(titles.begin(), titles.end(), "PID");
  if (pid_col == titles.end()) return fail(ErrorKind::Internal, "Couldn't find PID field in ps output");
  size_t idx = static_cast<size_t>(pid_col - titles.begin());
  json procs = json::array();
  bool last_kept = false;  // thread rows (ps -m, -L) belong to the process row above them
  for (std::string line; std::getline(in, line);) {
    auto f = fields_of(line);
    if (f.size() <= idx) continue;
    if (f[idx] == "-") {
      if (last_kept) procs.push_back(row_of(f, titles.size()));
      continue;
    }
    pid_t pid = 0;
    try {
      size_t used = 0;
      pid = static_cast<pid_t>(std::stol(f[idx], &used));
      if (used != f[idx].size()) throw std::invalid_argument(f[idx]);
    } catch (...) {
      return fail(ErrorKind::Internal, "Unexpected pid '" + f[idx] + "'");
    }
    last_kept = std::find(pids.begin(), pids.end(), pid) != pids.end();
    if (last_kept) procs.push_back(row_of(f, titles.size()));
  }
  return json{{"Titles", titles}, {"Processes", procs}};
}

Result<json> ContainerService::top(std::string_view ref, const std::string& ps_args_in) {
  std::string ps_args = ps_args_in.empty() ? "-ef" : ps_args_in;
  BERTH_CHECK(validate_ps_args(ps_args), "");
  std::vector<pid_t> pids;
  {
    std::lock_guard lk(mu_);
    auto c = BERTH_TRY(store_.find(ref), "");
    if (c.state == "restarting")
      return fail(ErrorKind::Conflict, "Container " + c.id + " is restarting, wait until the container is running");
    if (!is_live(c.state)) return fail(ErrorKind::Conflict, "Container " + c.id + " is not running");
    runtime::GlobalOptions g;
    g.root = runtime_in_use(c.id).root;
    auto p = runtime::container_pids(g, c.id);
    if (!p) return fail(ErrorKind::Internal, "top: container " + c.id + ": " + p.error().what());
    pids = *p;
  }
  // dockerd splits the arguments on single spaces.
  std::vector<std::string> args;
  std::istringstream in(ps_args);
  for (std::string a; std::getline(in, a, ' ');) args.push_back(a);
  auto ran = BERTH_TRY(run_ps(args), "");
  if (ran.status != 0) {
    auto first = ran.err.substr(0, ran.err.find('\n'));
    return fail(ErrorKind::Internal, "ps: " + (first.empty() ? "exit status " + std::to_string(ran.status) : first));
  }
  return filter_ps_output(ran.out, pids);
}

}  // namespace berth::engine
