#include <unistd.h>

#include "common/fs.hpp"
#include "runtime/spec/spec.hpp"
#include "verbs.hpp"

namespace berth::cli {

void add_spec(CLI::App& app, Globals& g) {
  auto* sub = app.add_subcommand("spec", "create a new specification file (config.json)");
  static std::string bundle;
  static bool rootless = false;
  sub->add_option("-b,--bundle", bundle, "path to the bundle");
  sub->add_flag("--rootless", rootless, "a spec for a rootless container");
  set_action(sub, [] () -> Result<int> {
    std::string path = path_join(bundle.empty() ? "." : bundle, "config.json");
    if (path_exists(path)) return fail(ErrorKind::Exists, "File " + path + " exists. Remove it first");
    BERTH_CHECK(write_file_atomic(path, runtime::default_spec(rootless).dump(2) + "\n"), "");
    return 0;
  });
}

}  // namespace berth::cli
