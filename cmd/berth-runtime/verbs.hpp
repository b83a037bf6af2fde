// berth-runtime: runc's command line over libberth's runtime. One file per verb; each
// registers its flags and makes one library call.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>

#include "common/error.hpp"
#include "runtime/container.hpp"

namespace berth::cli {

struct Globals {
  runtime::GlobalOptions opts;
  std::string log_path, log_format = "text";
  bool debug = false;
};

// A verb's action returns the process exit code or an error (printed once, by main).
using Action = std::function<Result<int>()>;
void set_action(CLI::App* sub, Action a);

void add_spec(CLI::App& app, Globals& g);
void add_create(CLI::App& app, Globals& g);
void add_start(CLI::App& app, Globals& g);
void add_run(CLI::App& app, Globals& g);
void add_state(CLI::App& app, Globals& g);
void add_list(CLI::App& app, Globals& g);
void add_kill(CLI::App& app, Globals& g);
void add_delete(CLI::App& app, Globals& g);
void add_exec(CLI::App& app, Globals& g);
void add_ps(CLI::App& app, Globals& g);
void add_pause_resume(CLI::App& app, Globals& g);
void add_features(CLI::App& app, Globals& g);
void add_update(CLI::App& app, Globals& g);
void add_events(CLI::App& app, Globals& g);

}  // namespace berth::cli
