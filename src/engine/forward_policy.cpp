#include "engine/forward_policy.hpp"

#include <nlohmann/json.hpp>
#include <set>

namespace berth::engine {

using nlohmann::json;

namespace {

// The bridge a berth rule matches ("iifname"/"oifname" + name), from its expression list.
std::string rule_key(const json& rule) {
  if (!rule.contains("expr") || !rule["expr"].is_array()) return "";
  for (auto& e : rule["expr"]) {
    if (!e.contains("match")) continue;
    const auto& m = e["match"];
    const auto& left = m.value("left", json());
    if (!left.is_object() || !left.contains("meta")) continue;
    auto key = left["meta"].value("key", "");
    if ((key == "iifname" || key == "oifname") && m.value("right", json()).is_string())
      return key + " " + m["right"].get<std::string>();
  }
  return "";
}

}  // namespace

std::string forward_accept_commands(const std::string& chain_json, const std::vector<std::string>& bridges) {
  auto doc = json::parse(chain_json, nullptr, false);
  if (!doc.is_object() || !doc.contains("nftables") || !doc["nftables"].is_array()) return "";
  bool drop = false, found = false;
  std::set<std::string> have;
  std::vector<std::pair<long, std::string>> ours;  // handle, key
  for (auto& item : doc["nftables"]) {
    if (item.contains("chain")) {
      found = true;
      drop = item["chain"].value("policy", "") == "drop";
    } else if (item.contains("rule") && item["rule"].value("comment", "") == kForwardRuleComment) {
      ours.emplace_back(item["rule"].value("handle", -1L), rule_key(item["rule"]));
    }
  }
  if (!found) return "";
  std::set<std::string> want;
  if (drop)
    for (auto& b : bridges) {
      want.insert("iifname " + b);
      want.insert("oifname " + b);
    }
  std::string out;
  for (auto& [handle, key] : ours) {
    if (want.contains(key) && !have.contains(key)) {
      have.insert(key);  // kept as it is
      continue;
    }
    out += "delete rule ip filter FORWARD handle " + std::to_string(handle) + "\n";
  }
  for (auto& key : want)
    if (!have.contains(key)) {
      auto space = key.find(' ');
      out += "insert rule ip filter FORWARD " + key.substr(0, space) + " \"" + key.substr(space + 1) +
             "\" accept comment \"" + kForwardRuleComment + "\"\n";
    }
  return out;
}

}  // namespace berth::engine
