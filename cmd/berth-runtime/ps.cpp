#include <cstdio>
#include <sstream>

#include "verbs.hpp"

namespace berth::cli {

void add_ps(CLI::App& app, Globals& g) {
  auto* sub = app.add_subcommand("ps", "list the processes of a container");
  static std::string id, format = "table";
  static std::vector<std::string> ps_args;
  sub->add_option("id", id, "container id")->required();
  sub->add_option("ps-options", ps_args, "options passed to ps(1) (default -ef)");
  sub->add_option("-f,--format", format, "table or json")->check(CLI::IsMember({"table", "json"}));
  set_action(sub, [&g]() -> Result<int> {
    auto pids = BERTH_TRY(runtime::container_pids(g.opts, id), "");
    if (format == "json") {
      std::printf("%s\n", nlohmann::json(pids).dump().c_str());
      return 0;
    }
    // Like runc: run ps(1) on the host and keep the header plus our processes' lines.
    std::string cmd = "ps";
    if (ps_args.empty()) ps_args = {"-ef"};
    for (auto& a : ps_args) cmd += " '" + a + "'";
    FILE* f = popen(cmd.c_str(), "r");
    if (!f) return fail_sys("run ps");
    char line[4096];
    int pid_col = -1;
    bool header = true;
    while (fgets(line, sizeof line, f)) {
      std::istringstream ss(line);
      std::vector<std::string> cols;
      std::string c;
      while (ss >> c) cols.push_back(c);
      if (header) {
        for (size_t i = 0; i < cols.size(); ++i)
          if (cols[i] == "PID") pid_col = static_cast<int>(i);
        std::fputs(line, stdout);
        header = false;
        continue;
      }
      if (pid_col < 0 || pid_col >= static_cast<int>(cols.size())) continue;
      pid_t p = std::atoi(cols[pid_col].c_str());
      for (pid_t q : pids)
        if (p == q) std::fputs(line, stdout);
    }
    pclose(f);
    if (pid_col < 0) return fail(ErrorKind::Invalid, "ps output has no PID column");
    return 0;
  });
}

}  // namespace berth::cli
