// A test handler for the connection hijack (no container): it answers 101 UPGRADED, reads the
// client's bytes up to a newline, and sends them back as a stdout frame, then "done\n" as a
// stderr frame. Shared by the plain (unit) and TLS (integration) hijack tests.
#pragma once
#include <unistd.h>

#include <string>

#include "api/http.hpp"
#include "api/mux_stream.hpp"

namespace berth::api::test {

inline Result<> echo_attach(Exchange& ex) {
  auto h = BERTH_TRY(ex.hijack("application/vnd.docker.multiplexed-stream"), "");
  std::string in = h.pending;
  char buf[256];
  while (in.find('\n') == std::string::npos) {
    ssize_t n = read(h.fd.get(), buf, sizeof buf);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  std::string out = mux_frame(StdStream::Stdout, in) + mux_frame(StdStream::Stderr, "done\n");
  (void)!write(h.fd.get(), out.data(), out.size());
  return {};
}

}  // namespace berth::api::test
