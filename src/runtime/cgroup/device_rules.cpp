#include "runtime/cgroup/device_rules.hpp"

namespace berth::runtime {

nlohmann::json with_default_device_rules(const nlohmann::json& resources, const std::vector<Device>& devices) {
  using nlohmann::json;
  json out = resources.is_object() ? resources : json::object();
  json rules = out.value("devices", json::array());
  auto allow = [&](const char* type, json major, json minor, const char* access) {
    json r = {{"allow", true}, {"type", type}, {"access", access}};
    if (!major.is_null()) r["major"] = major;
    if (!minor.is_null()) r["minor"] = minor;
    rules.push_back(r);
  };
  allow("c", nullptr, nullptr, "m");  // mknod of any device; using it still needs r/w rules
  allow("b", nullptr, nullptr, "m");
  const int std_devs[][2] = {{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 1}, {5, 2}, {10, 200}};
  for (auto& d : std_devs) allow("c", d[0], d[1], "rwm");
  allow("c", 136, nullptr, "rwm");  // /dev/pts/*
  for (const auto& d : devices) {
    if (d.type == 'p') continue;
    allow(d.type == 'b' ? "b" : "c", d.major, d.minor, "rwm");
  }
  out["devices"] = rules;
  return out;
}

}  // namespace berth::runtime
