// A container's output, as `berth logs` and `berth run` print it.
#include <cstdio>

#include "api/mux_stream.hpp"
#include "container_verbs.hpp"

namespace berth::cli {

bool print_container_output(const std::string& body, bool tty) {
  if (tty) {
    std::fwrite(body.data(), 1, body.size(), stdout);
    return true;
  }
  api::MuxDecoder dec;
  auto chunks = dec.feed(body);
  if (!chunks) return false;
  for (auto& c : *chunks) {
    FILE* out = c.stream == api::StdStream::Stderr ? stderr : stdout;
    std::fwrite(c.data.data(), 1, c.data.size(), out);
  }
  std::fflush(stdout);
  return dec.idle();
}

bool container_tty(Cli& cli, const std::string& id) {
  auto j = cli.get_json("/containers/" + id + "/json");
  return j && (*j)["Config"].value("Tty", false);
}

}  // namespace berth::cli
