#include "cri/cri_server.hpp"

#include <grp.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "common/fd.hpp"
#include "common/fs.hpp"
#include "cri/image_service.hpp"
#include "cri/runtime_service.hpp"
#include "cri/streaming/engine_runtime.hpp"
#include "cri/streaming/streaming_server.hpp"

namespace berth::cri {

struct CriServer::Impl {
  std::string socket;
  // Declared before the gRPC server, so destroyed after it: no call sees them gone.
  streaming::EngineStreamingRuntime stream_runtime;
  std::unique_ptr<streaming::StreamingServer> streams;
  RuntimeService runtime;
  ImageService images;
  std::unique_ptr<grpc::Server> server;
  Impl(engine::Daemon& d, const CriServerOptions& o)
      : socket(o.socket),
        stream_runtime(d.container_service(), d.exec_service()),
        runtime(d, o.runtime_version),
        images(d) {}
};

namespace {

// A live server keeps its socket; a stale file from a crash is removed; anything else is refused.
Result<> clear_socket_path(const std::string& path) {
  if (path.size() >= sizeof(sockaddr_un::sun_path)) return fail(ErrorKind::Invalid, "CRI socket path too long: " + path);
  struct stat st{};
  if (lstat(path.c_str(), &st) != 0) return {};
  if (!S_ISSOCK(st.st_mode)) return fail(ErrorKind::Exists, "CRI socket " + path + ": exists and is not a socket");
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  UniqueFd probe(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (connect(probe.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0)
    return fail(ErrorKind::Exists, "CRI socket " + path + ": another daemon is serving this socket");
  if (unlink(path.c_str()) != 0) return fail_sys("remove stale CRI socket " + path);
  return {};
}

}  // namespace

Result<std::unique_ptr<CriServer>> CriServer::listen(engine::Daemon& d, const CriServerOptions& opts) {
  const auto& path = opts.socket;
  if (path.empty() || path[0] != '/') return fail(ErrorKind::Invalid, "CRI socket: must be an absolute path");
  auto slash = path.rfind('/');
  if (slash > 0) BERTH_CHECK(mkdir_p(path.substr(0, slash), 0711), "CRI socket " + path);
  BERTH_CHECK(clear_socket_path(path), "");

  auto impl = std::make_unique<Impl>(d, opts);
  impl->streams = BERTH_TRY(streaming::StreamingServer::start(opts.streaming, impl->stream_runtime), "CRI streaming server");
  impl->runtime.set_streaming(impl->streams.get());
  grpc::ServerBuilder b;
  int port = 0;
  b.AddListeningPort("unix://" + path, grpc::InsecureServerCredentials(), &port);
  b.RegisterService(&impl->runtime);
  b.RegisterService(&impl->images);
  // Image configs are small, but the kubelet's list calls grow with the node: 16 MiB as the kubelet allows.
  b.SetMaxReceiveMessageSize(16 << 20);
  b.SetMaxSendMessageSize(16 << 20);
  grpc::ResourceQuota quota("berth-cri");
  quota.SetMaxThreads(64);
  b.SetResourceQuota(quota);
  impl->server = b.BuildAndStart();
  if (!impl->server || port == 0) return fail(ErrorKind::Unavailable, "CRI socket " + path + ": gRPC could not listen");
  // The socket was made with the process umask (root only can connect): now open it to the group.
  gid_t gid = 0;
  if (!opts.socket_group.empty())
    if (struct group* g = getgrnam(opts.socket_group.c_str())) gid = g->gr_gid;
  if (chown(path.c_str(), 0, gid) != 0 || chmod(path.c_str(), 0660) != 0) {
    auto e = sys_error("set owner of CRI socket " + path);
    impl->server->Shutdown();
    unlink(path.c_str());
    return fail(e);
  }
  return std::unique_ptr<CriServer>(new CriServer(std::move(impl)));
}

CriServer::CriServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CriServer::~CriServer() { stop(); }

void CriServer::stop() {
  if (!impl_->server) return;
  // Calls still running after the grace period are cancelled (a pull sees it and stops).
  impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  impl_->server->Wait();
  impl_->server.reset();
  unlink(impl_->socket.c_str());
}

const std::string& CriServer::socket() const { return impl_->socket; }

}  // namespace berth::cri
