#include <cstdio>

#include "verbs.hpp"

namespace berth::cli {

void add_list(CLI::App& app, Globals& g) {
  auto* sub = app.add_subcommand("list", "list containers")->alias("ls");
  static std::string format = "table";
  static bool quiet = false;
  sub->add_option("-f,--format", format, "table or json")->check(CLI::IsMember({"table", "json"}));
  sub->add_flag("-q,--quiet", quiet, "print ids only");
  set_action(sub, [&g]() -> Result<int> {
    std::vector<nlohmann::json> all;
    for (auto& c : BERTH_TRY(runtime::list_containers(g.opts), "")) all.push_back(runtime::oci_state(c.state, c.status));
    if (quiet) {
      for (auto& c : all) std::printf("%s\n", c["id"].get<std::string>().c_str());
      return 0;
    }
    if (format == "json") {
      nlohmann::json arr = nlohmann::json::array();
      for (auto& c : all) arr.push_back(c);
      std::printf("%s\n", arr.dump().c_str());
      return 0;
    }
    std::printf("%-12s %-8s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
    for (auto& c : all)
      std::printf("%-12s %-8d %-10s %-40s %-32s %s\n", c["id"].get<std::string>().c_str(), c["pid"].get<int>(),
                  c["status"].get<std::string>().c_str(), c["bundle"].get<std::string>().c_str(),
                  c["created"].get<std::string>().c_str(), c["owner"].get<std::string>().c_str());
    return 0;
  });
}

}  // namespace berth::cli
