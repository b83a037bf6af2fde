// berth load: images from a tar archive (file or stdin).
#include <unistd.h>

#include "body_file.hpp"
#include "cli.hpp"
#include "progress.hpp"

namespace berth::cli {

void add_load(CLI::App& app, Cli& cli) {
  auto* sub = app.add_subcommand("load", "Load an image from a tar archive or STDIN");
  struct Options {
    std::string input;
    bool quiet = false;
  };
  auto o = std::make_shared<Options>();
  sub->add_option("-i,--input", o->input, "Read from tar archive file, instead of STDIN");
  sub->add_flag("-q,--quiet", o->quiet, "Suppress the load output");
  sub->callback([&cli, o] {
    if (o->input.empty() && isatty(0))
      return (void)cli.error("requested load from stdin, but stdin is empty");
    auto body = file_body(o->input);
    if (!body) return (void)cli.error("open " + o->input + ": " + std::strerror(errno));
    cli.exit_code = run_json_stream(cli, "POST", std::string("/images/load?quiet=") + (o->quiet ? "1" : "0"), body,
                                    {{"Content-Type", "application/x-tar"}}, o->quiet);
  });
}

}  // namespace berth::cli
