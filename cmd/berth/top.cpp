// berth top CONTAINER [ps OPTIONS]: the container's processes, ps run by the daemon on the host.
#include <cstdio>

#include "cli.hpp"

namespace berth::cli {

namespace {

// docker's tabwriter for top: columns at least 20 wide, 3 spaces of padding.
std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(20);
      width[i] = std::max(width[i], r[i].size() + 3);
    }
  std::string out;
  for (auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i)
      line += i + 1 == r.size() ? r[i] : r[i] + std::string(width[i] - r[i].size(), ' ');
    out += line + "\n";
  }
  return out;
}

}  // namespace

void add_top(CLI::App& app, Cli& cli) {
  auto name = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("top", "Display the running processes of a container");
  sub->add_option("container", *name, "CONTAINER")->required();
  // Everything after the container is ps's, in order (-o pid,comm ...).
  sub->prefix_command(true);
  sub->callback([&cli, name, sub] {
    std::string ps_args;
    for (auto& a : sub->remaining()) ps_args += (ps_args.empty() ? "" : " ") + a;
    auto j = cli.get_json("/containers/" + q(*name) + "/top" + (ps_args.empty() ? "" : "?ps_args=" + q(ps_args)));
    if (!j) return;
    std::vector<std::vector<std::string>> rows;
    rows.push_back(j->value("Titles", std::vector<std::string>{}));
    for (auto& p : j->value("Processes", nlohmann::json::array())) rows.push_back(p.get<std::vector<std::string>>());
    std::fputs(table(rows).c_str(), stdout);
  });
}

}  // namespace berth::cli
