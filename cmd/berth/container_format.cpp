#include "container_format.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "api/container_json.hpp"
#include "publish_flag.hpp"
#include "units.hpp"

namespace berth::cli {

using nlohmann::json;

std::string ellipsis(std::string_view s, size_t max) {
  std::vector<size_t> starts;  // byte offset of each code point
  for (size_t i = 0; i < s.size(); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) starts.push_back(i);
  if (starts.size() <= max) return std::string(s);
  if (max == 0) return "";
  return std::string(s.substr(0, starts[max - 1])) + "…";
}

std::string go_quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);  // UTF-8 passes through as Go keeps printable runes
        }
    }
  }
  return out + "\"";
}

std::string size_column(int64_t size_rw, int64_t size_root_fs) {
  std::string rw = human_size(size_rw);
  if (size_root_fs > 0) return rw + " (virtual " + human_size(size_root_fs) + ")";
  return rw;
}

namespace {

std::string str(const json& c, const char* key) {
  return c.contains(key) && c[key].is_string() ? c[key].get<std::string>() : "";
}

int64_t int_field(const json& c, const char* key) {
  return c.contains(key) && c[key].is_number() ? c[key].get<int64_t>() : 0;
}

std::string short_id(const std::string& id, bool trunc) {
  std::string s = id.starts_with("sha256:") ? id.substr(7) : id;
  return trunc ? s.substr(0, 12) : s;
}

// The IMAGE column: an image ID is shortened; a digest reference loses its digest.
std::string image_column(const json& c, bool trunc) {
  std::string image = str(c, "Image");
  if (image.empty()) return "<no image>";
  if (!trunc) return image;
  if (image == str(c, "ImageID") || image.starts_with("sha256:")) return short_id(image, true);
  if (auto at = image.find('@'); at != std::string::npos) return image.substr(0, at);
  return image;
}

std::string names_column(const json& c, bool trunc) {
  std::string out;
  if (c.contains("Names") && c["Names"].is_array())
    for (auto& n : c["Names"]) {
      if (!n.is_string()) continue;
      std::string name = n.get<std::string>();
      if (name.starts_with("/")) name.erase(0, 1);
      if (trunc && name.find('/') != std::string::npos) continue;  // a link's name
      out += (out.empty() ? "" : ",") + name;
    }
  return out;
}

std::string labels_column(const json& c) {
  std::vector<std::string> parts;
  if (c.contains("Labels") && c["Labels"].is_object())
    for (auto& [k, v] : c["Labels"].items()) parts.push_back(k + "=" + (v.is_string() ? v.get<std::string>() : ""));
  std::sort(parts.begin(), parts.end());
  std::string out;
  for (auto& p : parts) out += (out.empty() ? "" : ",") + p;
  return out;
}

std::string networks_column(const json& c) {
  std::vector<std::string> names;
  if (c.contains("NetworkSettings") && c["NetworkSettings"].is_object() &&
      c["NetworkSettings"].contains("Networks") && c["NetworkSettings"]["Networks"].is_object())
    for (auto& [k, v] : c["NetworkSettings"]["Networks"].items()) names.push_back(k);
  std::sort(names.begin(), names.end());
  std::string out;
  for (auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

}  // namespace

json ps_row(const json& c, bool trunc, int64_t now) {
  std::string command = str(c, "Command");
  if (trunc) command = ellipsis(command, 20);
  int64_t created = int_field(c, "Created");
  return {{"ID", short_id(str(c, "Id"), trunc)},
          {"Names", names_column(c, trunc)},
          {"Image", image_column(c, trunc)},
          {"Command", go_quote(command)},
          {"CreatedAt", go_time(created)},
          {"RunningFor", api::human_duration(now - created) + " ago"},
          {"Ports", ports_column(c.value("Ports", json::array()))},
          {"State", str(c, "State")},
          {"Status", str(c, "Status")},
          {"Size", size_column(int_field(c, "SizeRw"), int_field(c, "SizeRootFs"))},
          {"Labels", labels_column(c)},
          {"Mounts", ""},
          {"Networks", networks_column(c)},
          {"LocalVolumes", "0"},
          {"Platform", nullptr}};
}

std::string ps_default_format(bool size) {
  std::string f = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";
  return size ? f + "\t{{.Size}}" : f;
}

const std::map<std::string, std::string>& ps_headers() {
  static const std::map<std::string, std::string> h = {
      {"ID", "CONTAINER ID"}, {"RunningFor", "CREATED"},       {"CreatedAt", "CREATED AT"},
      {"LocalVolumes", "LOCAL VOLUMES"}};
  return h;
}

}  // namespace berth::cli
