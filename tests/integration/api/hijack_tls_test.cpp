// The connection hijack over mutual TLS: after "101 UPGRADED" the raw stream is relayed
// through TLS both ways, carrying multiplexed frames, and ends when the handler is done.
// (No container is involved: a test route echoes what the client sends.)
#include <gtest/gtest.h>

#include "../../unit/api/echo_attach.hpp"
#include "api/server.hpp"
#include "api/tls_certs.hpp"
#include "image/registry_fixture.hpp"

using namespace berth;
using namespace berth::api;

namespace {

Router echo_router() {
  Router r;
  r.add("POST", "/attach", berth::api::test::echo_attach);
  return r;
}

}  // namespace

TEST(HijackTls, FramesRelayedThroughTls) {
  berth::test::TempDir certs("berth-hijack-tls");
  ASSERT_TRUE(berth::api::test::make_certs(certs.path()));
  int port = berth::image::test::free_port();
  ServerOptions o;
  o.hosts = {"tcp://127.0.0.1:" + std::to_string(port)};
  o.tls = {true, true, certs / "ca.pem", certs / "server.pem", certs / "server-key.pem"};
  auto server = Server::listen(echo_router(), o);
  ASSERT_TRUE(server) << server.error().what();
  (*server)->start();
  // A TLS client in Python: request with the first stdin bytes, more after the upgrade.
  std::string script = R"PY(
import socket, ssl, struct, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[4])), timeout=10), server_hostname="127.0.0.1")
s.sendall(b"POST /v1.50/attach HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nping")
data = b""
while b"\r\n\r\n" not in data:
    data += s.recv(4096)
head, rest = data.split(b"\r\n\r\n", 1)
print(head.split(b"\r\n")[0].decode())
s.sendall(b" pong\n")
while True:
    try:
        chunk = s.recv(4096)
    except ssl.SSLError:
        break
    if not chunk:
        break
    rest += chunk
while len(rest) >= 8:
    kind, size = rest[0], struct.unpack(">I", rest[4:8])[0]
    print(kind, repr(rest[8:8 + size].decode()))
    rest = rest[8 + size:]
)PY";
  berth::test::write_text(certs / "client.py", script);
  auto r = berth::test::run({"/usr/bin/python3", certs / "client.py", certs / "ca.pem", certs / "cert.pem",
                             certs / "key.pem", std::to_string(port)},
                            "", std::chrono::seconds(30));
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "HTTP/1.1 101 UPGRADED\n1 'ping pong\\n'\n2 'done\\n'\n");
  EXPECT_TRUE((*server)->stop());
}
