// berth logs [-t] [--tail N] CONTAINER (follow arrives with attach).
#include "container_verbs.hpp"

namespace berth::cli {

void add_logs(CLI::App& app, Cli& cli) {
  auto* sub = app.add_subcommand("logs", "Fetch the logs of a container");
  struct Opts {
    std::string name, tail = "all";
    bool timestamps = false;
  };
  auto o = std::make_shared<Opts>();
  sub->add_option("container", o->name, "CONTAINER")->required();
  sub->add_option("-n,--tail", o->tail, "Number of lines to show from the end of the logs");
  sub->add_flag("-t,--timestamps", o->timestamps, "Show timestamps");
  sub->callback([&cli, o] {
    auto* c = cli.api();
    if (!c) return;
    auto r = c->call("GET", "/containers/" + q(o->name) + "/logs?stdout=1&stderr=1&tail=" + q(o->tail) +
                                (o->timestamps ? "&timestamps=1" : ""));
    if (!r) return (void)cli.error(r.error().what());
    if (r->status != 200) return (void)cli.daemon_error(*r);
    if (!print_container_output(r->body, r->headers["content-type"] == "application/vnd.docker.raw-stream"))
      cli.error("malformed log stream");
  });
}

}  // namespace berth::cli
