// berth: the command line client of berthd (docker's commands, flags and output).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>

#include "api/routes.hpp"
#include "cli.hpp"

int main(int argc, char** argv) {
  using namespace berth::cli;
  Cli cli;
  CLI::App app{"berth: a Docker-compatible container engine client"};
  app.require_subcommand(1);
  bool version = false;
  app.add_option("-H,--host", cli.host, "Daemon socket to connect to (default: $BERTH_HOST, $DOCKER_HOST, "
                                        "unix:///run/berth/berthd.sock)");
  app.add_flag("-v,--version", version, "Print version information and quit");
  app.add_flag("--tls", cli.tls, "Use TLS; implied by --tlsverify");
  app.add_flag("--tlsverify", cli.tlsverify, "Use TLS and verify the remote");
  app.add_option("--tlscacert", cli.tlscacert, "Trust certs signed only by this CA");
  app.add_option("--tlscert", cli.tlscert, "Path to TLS certificate file");
  app.add_option("--tlskey", cli.tlskey, "Path to TLS key file");
  app.add_subcommand("image", "Manage images")->require_subcommand(1);
  auto* container = app.add_subcommand("container", "Manage containers")->require_subcommand(1);
  add_version(app, cli);
  add_info(app, cli);
  add_images(app, cli);
  add_pull(app, cli);
  add_push(app, cli);
  add_tag(app, cli);
  add_rmi(app, cli);
  add_image_prune(*app.get_subcommand("image"), cli);
  add_save(app, cli);
  add_load(app, cli);
  add_build(app, cli);
  add_import(app, cli);
  add_history(app, cli);
  add_inspect(app, cli);
  add_events(app, cli);
  add_run(app, cli);
  add_container_simple_verbs(app, cli);
  add_logs(app, cli);
  add_attach(app, cli);
  add_exec(app, cli);
  for (auto add : {add_cp, add_diff, add_commit, add_export}) add(app, cli);
  add_ps(app, cli);
  add_network(app, cli);
  add_volume(app, cli);
  add_container_state_verbs(app, cli);
  // The management groups: `berth container ls`, `berth image pull`, ... as docker has them.
  add_run(*container, cli);
  add_container_simple_verbs(*container, cli);
  add_container_state_verbs(*container, cli);
  add_logs(*container, cli);
  add_container_ls(*container, cli);
  add_container_inspect(*container, cli);
  add_container_prune(*container, cli);
  auto* image = app.get_subcommand("image");
  for (auto add : {add_pull, add_push, add_tag, add_save, add_load, add_import, add_history, add_build}) add(*image, cli);
  add_attach(*container, cli);
  for (auto add : {add_top, add_stats, add_port, add_update}) {
    add(app, cli);
    add(*container, cli);
  }
  add_exec(*container, cli);
  for (auto add : {add_cp, add_diff, add_commit, add_export}) add(*container, cli);
  if (argc > 1 && (std::string(argv[1]) == "-v" || std::string(argv[1]) == "--version")) {
    std::printf("berth version %s\n", berth::api::kEngineVersion);
    return 0;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::RequiredError& e) {
    // docker: a missing argument exits 1 with "'docker pause' requires at least 1 argument".
    std::string path = "berth";
    CLI::App* at = &app;
    while (!at->get_subcommands().empty()) {
      at = at->get_subcommands().front();
      path += " " + at->get_name();
    }
    if (std::string(e.what()).find("subcommand") != std::string::npos) {
      std::printf("%s", at->help().c_str());  // a management group alone: its usage, as docker
      return 0;
    }
    // "requires at least 1 argument" (a list) or "requires 2 arguments" (fixed), as docker counts.
    int needed = 0;
    bool open = false;
    for (const CLI::Option* opt : at->get_options())
      if (opt->get_positional() && opt->get_required()) {
        needed += std::max(opt->get_items_expected_min(), 1);
        open = open || opt->get_items_expected_max() > opt->get_items_expected_min();
      }
    needed = std::max(needed, 1);
    std::fprintf(stderr, "berth: '%s' requires %s%d argument%s\n\nSee '%s --help' for more information\n", path.c_str(),
                 open ? "at least " : "", needed, needed == 1 ? "" : "s", path.c_str());
    return 1;
  } catch (const CLI::ParseError& e) {
    // docker exits 125 on usage errors.
    app.exit(e);
    return 125;
  }
  return cli.exit_code;
}
