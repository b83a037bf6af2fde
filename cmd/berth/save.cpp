// berth save: images as a tar archive, to a file or a (non-terminal) stdout.
#include <fcntl.h>
#include <unistd.h>

#include "cli.hpp"
#include "common/fd.hpp"

namespace berth::cli {

void add_save(CLI::App& app, Cli& cli) {
  auto* sub = app.add_subcommand("save", "Save one or more images to a tar archive (streamed to STDOUT by default)");
  struct Options {
    std::vector<std::string> names;
    std::string output;
  };
  auto o = std::make_shared<Options>();
  sub->add_option("images", o->names, "IMAGE...")->required();
  sub->add_option("-o,--output", o->output, "Write to a file, instead of STDOUT");
  sub->callback([&cli, o] {
    if (o->output.empty() && isatty(1))
      return (void)cli.error("Cowardly refusing to save to a terminal. Use the -o flag or redirect");
    auto* c = cli.api();
    if (!c) return;
    std::string path = "/images/get?";
    for (size_t i = 0; i < o->names.size(); ++i) path += (i ? "&names=" : "names=") + q(o->names[i]);
    // Written next to the target and renamed at the end: a failed save leaves no partial file.
    std::string tmp = o->output.empty() ? "" : o->output + ".berth-tmp";
    UniqueFd out(o->output.empty() ? dup(1) : open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!out) return (void)cli.error("open " + (tmp.empty() ? "stdout" : o->output) + ": " + std::strerror(errno));
    bool write_failed = false;
    auto r = c->stream("GET", path, {}, [&](std::string_view b) {
      while (!b.empty()) {
        ssize_t n = write(out.get(), b.data(), b.size());
        if (n <= 0) return !(write_failed = true);
        b.remove_prefix(static_cast<size_t>(n));
      }
      return true;
    });
    bool ok = r && r->status == 200 && !write_failed;
    if (!tmp.empty()) {
      if (ok && rename(tmp.c_str(), o->output.c_str()) != 0) ok = false;
      if (!ok) unlink(tmp.c_str());
    }
    if (!r) return (void)cli.error(r.error().what());
    if (r->status != 200) return (void)cli.daemon_error(*r);
    if (write_failed) cli.error("write archive: " + std::string(std::strerror(errno)));
  });
}

}  // namespace berth::cli
