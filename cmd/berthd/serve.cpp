#include "serve.hpp"

#include <grp.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "api/routes.hpp"
#include "api/server.hpp"
#include "common/fs.hpp"
#include "common/log.hpp"
#include "common/process.hpp"
#include "cri/cri_server.hpp"
#include "engine/daemon.hpp"

namespace berthd {

using namespace berth;

namespace {

// Refuses to start over a live daemon's pid file; a stale one is replaced.
Result<> write_pidfile(const std::string& path) {
  if (auto old = read_file(path)) {
    long pid = std::strtol(trim(*old).c_str(), nullptr, 10);
    if (pid > 0 && pid != getpid() && process_running(static_cast<pid_t>(pid)))
      return fail(ErrorKind::Conflict, "pid file found, ensure berthd is not running or delete " + path);
  }
  auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) BERTH_CHECK(mkdir_p(path.substr(0, slash), 0755), "pid file");
  return write_file_atomic(path, std::to_string(getpid()) + "\n", 0644);
}

}  // namespace

int serve(const engine::DaemonConfig& config, bool group_given) {
  // Signals are taken synchronously by this thread; every thread started later inherits the mask.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto err = [](const Error& e) {
    log::error(e.what());
    if (log::to_file()) std::fprintf(stderr, "berthd: %s\n", e.what().c_str());
    return 1;
  };
  if (group_given && getgrnam(config.group.c_str()) == nullptr) log::warn("group " + config.group + " not found");
  auto daemon = engine::Daemon::open(config);
  if (!daemon) return err(daemon.error());
  std::string pidfile = config.effective_pidfile();
  if (auto r = write_pidfile(pidfile); !r) return err(r.error());

  api::ServerOptions opts;
  opts.hosts = config.effective_hosts();
  opts.socket_group = config.group;
  opts.server_header = std::string("berth/") + api::kEngineVersion + " (linux)";
  opts.tls = {config.tls || config.tlsverify, config.tlsverify, config.tlscacert, config.tlscert, config.tlskey};
  auto server = api::Server::listen(api::make_router(**daemon), opts);
  if (!server) {
    unlink(pidfile.c_str());
    return err(server.error());
  }
  (*server)->start();
  std::string addrs;
  for (auto& a : (*server)->addresses()) addrs += " " + a;
  log::info("API listen on" + addrs);
  // The Kubernetes CRI, when configured: on the same engine, beside the Engine API.
  std::unique_ptr<cri::CriServer> cri_server;
  if (config.cri.enabled()) {
    cri::streaming::StreamingConfig streaming;
    streaming.address = config.cri.stream_address;
    streaming.port = config.cri.stream_port;
    auto c = cri::CriServer::listen(**daemon, {.socket = config.cri.socket,
                                               .socket_group = config.group,
                                               .runtime_version = api::kEngineVersion,
                                               .streaming = streaming});
    if (!c) {
      (*server)->stop();
      unlink(pidfile.c_str());
      return err(c.error());
    }
    cri_server = std::move(*c);
    log::info("CRI listen on unix://" + config.cri.socket);
  }

  int sig = 0;
  sigwait(&stop, &sig);
  log::info("received " + std::string(sig == SIGTERM ? "SIGTERM" : "SIGINT") + ", shutting down");
  if (cri_server) cri_server->stop();
  bool idle = (*server)->stop();
  unlink(pidfile.c_str());
  // A handler still running would use the engine after it is destroyed: leave without tearing down.
  if (!idle) _exit(0);
  return 0;
}

}  // namespace berthd
