#include "mount_flags.hpp"

#include "host_config_flags.hpp"

namespace berth::cli {

using nlohmann::json;

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    auto p = s.find(sep, start);
    out.push_back(s.substr(start, p - start));
    if (p == std::string::npos) return out;
    start = p + 1;
  }
}

// docker's boolean values of a --mount key given without "=" (readonly) or with one.
Result<bool> mount_bool(const std::string& key, const std::string& value, bool has_value) {
  if (!has_value) return true;
  if (value == "1" || value == "true" || value == "True" || value == "TRUE" || value == "t") return true;
  if (value == "0" || value == "false" || value == "False" || value == "FALSE" || value == "f") return false;
  return fail(ErrorKind::Invalid, "invalid value for " + key + ": " + value);
}

}  // namespace

Result<json> parse_mount_flag(const std::string& value) {
  json m = {{"Type", "volume"}};
  json bind = json::object(), vol = json::object(), tmpfs = json::object();
  for (auto& field : split(value, ',')) {
    if (field.empty()) continue;
    auto eq = field.find('=');
    bool has_value = eq != std::string::npos;
    std::string key = field.substr(0, eq), val = has_value ? field.substr(eq + 1) : "";
    if (key == "readonly" || key == "ro") {
      m["ReadOnly"] = BERTH_TRY(mount_bool(key, val, has_value), "");
      continue;
    }
    if (key == "volume-nocopy") {
      vol["NoCopy"] = BERTH_TRY(mount_bool(key, val, has_value), "");
      continue;
    }
    if (!has_value) return fail(ErrorKind::Invalid, "invalid field '" + field + "' must be a key=value pair");
    if (key == "type") m["Type"] = val;
    else if (key == "source" || key == "src") m["Source"] = val;
    else if (key == "target" || key == "destination" || key == "dst") m["Target"] = val;
    else if (key == "consistency") m["Consistency"] = val;
    else if (key == "bind-propagation") bind["Propagation"] = val;
    else if (key == "volume-driver") vol["DriverConfig"]["Name"] = val;
    else if (key == "volume-label" || key == "volume-opt") {
      auto e = val.find('=');
      std::string k = val.substr(0, e), v = e == std::string::npos ? "" : val.substr(e + 1);
      if (key == "volume-label") vol["Labels"][k] = v;
      else {
        if (e == std::string::npos) return fail(ErrorKind::Invalid, "invalid volume-opt '" + val + "': must be a key=value pair");
        vol["DriverConfig"]["Options"][k] = v;
      }
    } else if (key == "tmpfs-size") {
      auto n = ram_in_bytes(val);
      if (!n) return fail(ErrorKind::Invalid, "invalid value for " + key + ": " + val);
      tmpfs["SizeBytes"] = *n;
    } else if (key == "tmpfs-mode") {
      size_t used = 0;
      unsigned long mode = 0;
      try {
        mode = std::stoul(val, &used, 8);
      } catch (...) {
        used = 0;
      }
      if (used == 0 || used != val.size()) return fail(ErrorKind::Invalid, "invalid value for " + key + ": " + val);
      tmpfs["Mode"] = mode;
    } else {
      return fail(ErrorKind::Invalid, "unexpected key '" + key + "' in '" + field + "'");
    }
  }
  if (!m.contains("Target") || m["Target"].get<std::string>().empty()) return fail(ErrorKind::Invalid, "target is required");
  const std::string type = m["Type"];
  if (!bind.empty() && type != "bind") return fail(ErrorKind::Invalid, "cannot mix 'bind-*' options with mount type '" + type + "'");
  if (!vol.empty() && type != "volume") return fail(ErrorKind::Invalid, "cannot mix 'volume-*' options with mount type '" + type + "'");
  if (!tmpfs.empty() && type != "tmpfs") return fail(ErrorKind::Invalid, "cannot mix 'tmpfs-*' options with mount type '" + type + "'");
  if (!bind.empty()) m["BindOptions"] = bind;
  if (!vol.empty()) m["VolumeOptions"] = vol;
  if (!tmpfs.empty()) m["TmpfsOptions"] = tmpfs;
  return m;
}

void add_mount_flags(CLI::App* sub, MountFlags& f) {
  sub->add_option("-v,--volume", f.volumes, "Bind mount a volume")->allow_extra_args(false);
  sub->add_option("--mount", f.mounts, "Attach a filesystem mount to the container")->allow_extra_args(false);
  sub->add_option("--tmpfs", f.tmpfs, "Mount a tmpfs directory")->allow_extra_args(false);
  sub->add_option("--volumes-from", f.volumes_from, "Mount volumes from the specified container(s)")->allow_extra_args(false);
}

Result<> apply_mount_flags(const MountFlags& f, json& body) {
  auto& hc = body["HostConfig"];
  for (auto& v : f.volumes) {
    auto parts = split(v, ':');
    for (auto& p : parts)
      if (p.empty() && parts.size() > 1) return fail(ErrorKind::Invalid, "invalid spec: " + v + ": empty section between colons");
    if (v.empty()) return fail(ErrorKind::Invalid, "invalid spec: empty section between colons");
    // A path alone is an anonymous volume (Config.Volumes); anything with a source is a bind.
    if (parts.size() == 1) body["Volumes"][v] = json::object();
    else hc["Binds"].push_back(v);
  }
  for (auto& m : f.mounts) hc["Mounts"].push_back(BERTH_TRY(parse_mount_flag(m), "invalid argument \"" + m + "\" for \"--mount\" flag"));
  for (auto& t : f.tmpfs) {
    auto colon = t.find(':');
    hc["Tmpfs"][t.substr(0, colon)] = colon == std::string::npos ? "" : t.substr(colon + 1);
  }
  for (auto& v : f.volumes_from) hc["VolumesFrom"].push_back(v);
  return {};
}

}  // namespace berth::cli
