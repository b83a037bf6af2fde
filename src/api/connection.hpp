// Serving one accepted connection (internal to the server; Beast stays in connection.cpp).
#pragma once
#include <memory>
#include <string>

#include "api/router.hpp"
#include "api/server.hpp"

namespace berth::api {

// The server side of TLS (certificate, key, and the CA that client certificates must chain to
// when verify is set). Opaque here: OpenSSL stays in connection.cpp.
struct TlsContext;
Result<std::shared_ptr<TlsContext>> make_tls_context(const TlsOptions& tls);

// Reads requests from fd (through TLS when tls is set) and answers them until the client
// closes, a response ends the connection, or the handler hijacks it. Does not close fd.
void serve_connection(int fd, const Router& router, const ServerOptions& opts, TlsContext* tls);

// Percent-decoding and query splitting as Go's net/url does them ('+' is a space in queries).
std::string url_decode(std::string_view s, bool plus_is_space);
void parse_target(std::string_view target, std::string& path, std::multimap<std::string, std::string>& query);

}  // namespace berth::api
