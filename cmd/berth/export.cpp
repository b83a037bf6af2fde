// berth export: a container's filesystem as a tar archive, to a file or a (non-terminal) stdout.
#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "cli.hpp"
#include "common/fd.hpp"

namespace berth::cli {

void add_export(CLI::App& app, Cli& cli) {
  auto* sub = app.add_subcommand("export", "Export a container's filesystem as a tar archive");
  struct Options {
    std::string container, output;
  };
  auto o = std::make_shared<Options>();
  sub->add_option("container", o->container, "CONTAINER")->required();
  sub->add_option("-o,--output", o->output, "Write to a file, instead of STDOUT");
  sub->callback([&cli, o] {
    if (o->output.empty() && isatty(1))
      return (void)cli.error("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    auto* c = cli.api();
    if (!c) return;
    UniqueFd out(o->output.empty() ? dup(1) : open(o->output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!out) return (void)cli.error("open " + o->output + ": " + std::strerror(errno));
    bool write_failed = false;
    auto r = c->stream("GET", "/containers/" + q(o->container) + "/export", {}, [&](std::string_view b) {
      while (!b.empty()) {
        ssize_t n = write(out.get(), b.data(), b.size());
        if (n <= 0) return !(write_failed = true);
        b.remove_prefix(static_cast<size_t>(n));
      }
      return true;
    });
    if (!r) return (void)cli.error(r.error().what());
    if (r->status != 200) return (void)cli.daemon_error(*r);
    if (write_failed) cli.error("write archive: " + std::string(std::strerror(errno)));
  });
}

}  // namespace berth::cli
