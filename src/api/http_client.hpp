// The Engine API client the berth CLI uses: HTTP/1.1 over a unix socket (or loopback TCP),
// one connection per request, the API version negotiated once through /_ping as the docker
// client does. Bodies stream both ways so that load, import, save, pull and events never hold
// a whole archive or stream in memory. Beast stays in http_client.cpp.
#pragma once
#include <functional>
#include <map>
#include <string>

#include "common/error.hpp"
#include "common/fd.hpp"
#include <memory>

namespace berth::api {

struct ClientResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                            // when no sink was given, or on an error status
};

// Returns the number of bytes put into buf; 0 at the end.
using BodySource = std::function<Result<size_t>(char* buf, size_t n)>;
// Receives the response body piece by piece; false stops reading.
using BodySink = std::function<bool(std::string_view)>;

// TLS to a tcp:// daemon, as docker's --tlsverify/--tlscacert/--tlscert/--tlskey: the server
// certificate must chain to ca (when verify) and name the host; cert/key identify the client.
struct ClientTls {
  bool enabled = false, verify = false;
  std::string ca, cert, key;
};

// A hijacked connection (attach): raw bytes both ways after the daemon's 101/200 answer. Over TLS
// fd is one end of a socket pair that a relay thread carries through the encrypted stream.
struct ClientHijack {
  int status = 0;
  std::string body;             // the error answer when status is not 101/200
  std::shared_ptr<void> relay;  // the TLS relay, joined when dropped: declared before fd, so
                                // that fd closes first and the relay sees it
  UniqueFd fd;                  // the raw connection
  std::string pending;          // bytes the daemon sent after its answer
};

class ApiClient {
 public:
  // host: "unix:///run/berth/berthd.sock", "tcp://127.0.0.1:2375" or a bare socket path.
  static Result<ApiClient> open(const std::string& host, ClientTls tls = {});

  // Asks /_ping for the daemon's version and uses min(ours, its) as the /vX.Y prefix.
  Result<> negotiate();
  // POST path with "Upgrade: tcp", as the docker client attaches (and starts an exec, with a
  // JSON body).
  Result<ClientHijack> hijack(const std::string& path, const std::string& json_body = "");
  const std::string& version() const { return version_; }

  // path without the version prefix ("/images/json?all=1").
  Result<ClientResponse> call(const std::string& method, const std::string& path, const std::string& body = "",
                              const std::map<std::string, std::string>& headers = {});
  // Streams a request body (chunked) and/or the response body (to sink on a 2xx status).
  Result<ClientResponse> stream(const std::string& method, const std::string& path, const BodySource& body,
                                const BodySink& sink, const std::map<std::string, std::string>& headers = {});

 private:
  std::string kind_, address_;  // "unix" + path, or "tcp" + host:port
  int port_ = 0;
  ClientTls tls_;
  std::string version_;
};

// The daemon's error text for a failed response: {"message": ...} or the raw body.
std::string error_message(const ClientResponse& r);

}  // namespace berth::api
