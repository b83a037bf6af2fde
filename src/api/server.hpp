// The HTTP/1.1 server of the Engine API: unix sockets, and TCP with TLS (plain TCP only on
// loopback), one thread per connection. Why threads and not an async loop: most handlers block for
// long stretches by nature (a pull, a load from the request body, an events stream, a hijacked
// attach), and written synchronously each is a straight-line function; a slow or vanished
// client holds only its own thread, never the others. Connections are capped, idle ones time
// out, and stop() shuts every live connection down.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "api/router.hpp"
#include "common/error.hpp"

namespace berth::api {

// TLS for TCP listeners (unix sockets stay plain): --tls serves TLS, --tlsverify also requires
// a client certificate signed by --tlscacert (mutual TLS, as dockerd).
struct TlsOptions {
  bool enabled = false;  // --tls or --tlsverify
  bool verify = false;   // --tlsverify
  std::string ca, cert, key;
};

struct ServerOptions {
  std::vector<std::string> hosts;  // "unix:///run/berth/berthd.sock", "tcp://127.0.0.1:2375"
  std::string socket_group;        // chgrp the unix sockets when this group exists; "" = root only
  TlsOptions tls;
  size_t header_limit = 64 * 1024;
  size_t max_connections = 512;
  int idle_timeout_s = 300;        // no request (or body byte) for this long closes the connection
  std::string server_header = "berth (linux)";  // clients read the OS from the parentheses
};

class Server {
 public:
  // Binds every host or fails naming the one that could not be served (nothing is left bound).
  static Result<std::unique_ptr<Server>> listen(Router router, ServerOptions opts);
  ~Server();
  // Serves on a background thread until stop().
  void start();
  // Closes the listeners (removing unix socket files) and every live connection; waits (up to
  // 10 s) for the connection threads to finish. False when some handler is still running (one
  // blocked outside its socket, e.g. mid-download): its owner must not be destroyed then.
  bool stop();
  std::vector<std::string> addresses() const;  // what was bound, tcp ports resolved

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "unix:///x.sock" / "tcp://127.0.0.1:2375" / "fd://" ... as dockerd parses -H; a bare path is unix.
struct HostAddress {
  enum class Kind { Unix, Tcp } kind;
  std::string path;  // unix
  std::string host;  // tcp
  int port = 0;      // 0: any free port
};
Result<HostAddress> parse_host(std::string_view spec);

}  // namespace berth::api
