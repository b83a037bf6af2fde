// Test certificates made with the openssl command: a CA, a server certificate for 127.0.0.1
// and a client certificate, as docker's TLS guide makes them.
#pragma once
#include <gtest/gtest.h>

#include <string>

#include "support/support.hpp"

namespace berth::api::test {

// In d: ca.pem, server.pem, server-key.pem, cert.pem, key.pem.
inline bool make_certs(const std::string& d) {
  std::string script = "set -e; cd " + d +
                       "\n"
                       "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=test-ca -keyout ca-key.pem -out ca.pem\n"
                       "openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server-key.pem -out server.csr\n"
                       "printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > server.ext\n"
                       "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 1 "
                       "-extfile server.ext -out server.pem\n"
                       "openssl req -newkey rsa:2048 -nodes -subj /CN=client -keyout key.pem -out client.csr\n"
                       "printf 'extendedKeyUsage=clientAuth\\n' > client.ext\n"
                       "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 1 "
                       "-extfile client.ext -out cert.pem\n";
  auto r = berth::test::sh(script);
  if (r.status != 0) ADD_FAILURE() << r.err;
  return r.status == 0;
}

}  // namespace berth::api::test
