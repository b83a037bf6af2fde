#include "object_verbs.hpp"

#include <cstdio>

#include "go_template.hpp"

namespace berth::cli {

using nlohmann::json;

std::optional<api::ClientResponse> call_ok(Cli& cli, const std::string& method, const std::string& path,
                                           const std::string& body) {
  auto* c = cli.api();
  if (!c) return std::nullopt;
  auto r = c->call(method, path, body);
  if (!r) {
    cli.error(r.error().what());
    return std::nullopt;
  }
  if (r->status / 100 != 2) {
    cli.daemon_error(*r);
    return std::nullopt;
  }
  return *r;
}

std::optional<json> key_values(Cli& cli, const std::vector<std::string>& items, const char* flag, bool need_value) {
  json out = json::object();
  for (auto& kv : items) {
    auto eq = kv.find('=');
    if (eq == std::string::npos && need_value) {
      cli.error(std::string("invalid argument \"") + kv + "\" for \"" + flag + "\" flag: bad format");
      return std::nullopt;
    }
    out[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
  }
  return out;
}

void print_inspected(Cli& cli, const std::string& collection, const std::vector<std::string>& names,
                     const std::string& format) {
  json all = json::array();
  for (auto& n : names) {
    auto j = cli.get_json(collection + "/" + q(n));
    if (!j) return;
    all.push_back(*j);
  }
  if (format.empty()) return (void)std::printf("%s\n", all.dump(4).c_str());
  auto t = GoTemplate::parse(format);
  if (!t) return (void)cli.error(t.error().message);
  for (auto& j : all) std::printf("%s\n", t->render(j).c_str());
}

}  // namespace berth::cli
