// berth-shim: started by berthd for one container (see src/engine/shim.hpp). Parses flags,
// leaves berthd's process tree (the process berthd spawned exits at once), runs the shim.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "engine/shim.hpp"

int main(int argc, char** argv) {
  berth::engine::ShimOptions o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "berth-shim: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--version" || a == "version") {
      std::printf("berth-shim version 0.1.0\n");
      return 0;
    } else if (a == "--id") o.id = next();
    else if (a == "--bundle") o.bundle = next();
    else if (a == "--container-dir") o.container_dir = next();
    else if (a == "--state-dir") o.state_dir = next();
    else if (a == "--runtime-root") o.runtime_root = next();
    else if (a == "--seccomp-cache") o.seccomp_cache_dir = next();
    else if (a == "--ready-fd") o.ready_fd = std::atoi(next().c_str());
    else if (a == "--stdin") o.open_stdin = true;
    else if (a == "--log-driver") o.log.type = next();
    else if (a == "--log-opt") {
      auto kv = next();
      auto eq = kv.find('=');
      if (eq == std::string::npos) {
        std::fprintf(stderr, "berth-shim: --log-opt %s: expected key=value\n", kv.c_str());
        return 2;
      }
      o.log.config[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    else if (a == "--attach-wait") o.attach_wait = std::atoi(next().c_str());
    else if (a == "--console-size") {
      std::string v = next();
      auto x = v.find('x');
      o.console_rows = std::atoi(v.substr(0, x).c_str());
      o.console_cols = x == std::string::npos ? 0 : std::atoi(v.substr(x + 1).c_str());
      if (o.console_rows < 0 || o.console_rows > 65535 || o.console_cols < 0 || o.console_cols > 65535)
        o.console_rows = o.console_cols = 0;
    }
    else {
      std::fprintf(stderr, "berth-shim: unknown flag %s\n", a.c_str());
      return 2;
    }
  }
  if (o.id.empty() || o.bundle.empty() || o.container_dir.empty() || o.state_dir.empty() || o.runtime_root.empty()) {
    std::fprintf(stderr, "usage: berth-shim --id ID --bundle DIR --container-dir DIR --state-dir DIR --runtime-root DIR\n");
    return 2;
  }
  // Only our own fds: whatever the spawner leaked (not close-on-exec) goes.
  for (int fd = 3; fd < 1024; ++fd)
    if (fd != o.ready_fd) close(fd);
  // The second fork: berthd reaps the process it spawned at once, and the shim lives on.
  pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid > 0) _exit(0);
  return berth::engine::run_shim(o);
}
