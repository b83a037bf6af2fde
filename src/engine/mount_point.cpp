#include "engine/mount_point.hpp"

#include <set>

#include "common/fs.hpp"
#include "common/json_util.hpp"
#include "common/text.hpp"
#include "engine/path_in_root.hpp"

namespace berth::engine {

using nlohmann::json;

namespace {

const std::set<std::string> kPropagations = {"private", "rprivate", "slave", "rslave", "shared", "rshared"};

Error invalid_spec(const std::string& raw) { return make_error(ErrorKind::Invalid, "invalid volume specification: '" + raw + "'"); }

Error mount_config(const std::string& type, const std::string& what) {
  return make_error(ErrorKind::Invalid, "invalid mount config for type \"" + type + "\": " + what);
}

// A -v mode: at most one of each kind (rw/ro, z/Z, a propagation, nocopy/copy).
bool valid_mode(const std::string& mode) {
  if (mode.empty()) return true;
  int rw = 0, label = 0, prop = 0, copy = 0;
  for (auto& o : split(mode, ',')) {
    if (o == "rw" || o == "ro") ++rw;
    else if (o == "z" || o == "Z") ++label;
    else if (kPropagations.count(o)) ++prop;
    else if (o == "nocopy" || o == "copy") ++copy;
    else if (o == "consistent" || o == "cached" || o == "delegated") continue;
    else return false;
  }
  return rw <= 1 && label <= 1 && prop <= 1 && copy <= 1;
}

// "size=1048576" style value of a tmpfs option string, for the byte count dockerd prints.
std::string tmpfs_size(int64_t bytes) {
  for (auto [suffix, div] : {std::pair{"g", int64_t{1} << 30}, {"m", int64_t{1} << 20}, {"k", int64_t{1} << 10}})
    if (bytes % div == 0) return std::to_string(bytes / div) + suffix;
  return std::to_string(bytes);
}

}  // namespace

Result<std::string> check_destination(const std::string& dest, const std::string& type) {
  if (dest.empty()) return fail(mount_config(type, "field Target must not be empty"));
  if (dest[0] != '/') return fail(mount_config(type, "invalid mount path: '" + dest + "' mount path must be absolute"));
  if (has_dotdot(dest))
    return fail(mount_config(type, "invalid mount path: '" + dest + "' mount path must not contain '..'"));
  auto clean = clean_abs_path(dest);
  if (clean == "/") return fail(mount_config(type, "invalid specification: destination can't be '/'"));
  return clean;
}

Result<MountPoint> parse_bind_spec(const std::string& raw) {
  auto parts = split(raw, ':');
  if (parts[0].empty() || parts.size() > 3) return fail(invalid_spec(raw));
  MountPoint m;
  std::string source, target;
  if (parts.size() == 1) {
    target = parts[0];
  } else if (parts.size() == 2) {
    if (valid_mode(parts[1])) return fail(invalid_spec(raw));  // "/foo:rw": a mode without a source
    source = parts[0];
    target = parts[1];
  } else {
    source = parts[0];
    target = parts[1];
    m.mode = parts[2];
  }
  if (!valid_mode(m.mode)) return fail(ErrorKind::Invalid, "invalid mode: " + m.mode);
  m.type = source.empty() || source[0] != '/' ? "volume" : "bind";
  auto dest = check_destination(target, m.type);
  if (!dest) return fail(make_error(ErrorKind::Invalid, invalid_spec(raw).message + ": " + dest.error().message));
  m.destination = *dest;
  for (auto& o : split(m.mode, ',')) {
    if (o == "ro") m.rw = false;
    if (o == "nocopy") m.nocopy = true;
    if (kPropagations.count(o)) m.propagation = o;
  }
  if (m.type == "bind") {
    if (has_dotdot(source))
      return fail(ErrorKind::Invalid, invalid_spec(raw).message + ": bind source path must not contain '..'");
    m.source = clean_abs_path(source);
    if (m.propagation.empty()) m.propagation = "rprivate";
    m.create_source = true;
  } else {
    m.name = source;  // "" for an anonymous volume; the volume's create checks the name
    if (m.mode.empty() && !source.empty()) m.mode = "z";  // what dockerd shows for -v name:/dst
    if (!m.propagation.empty())
      return fail(make_error(ErrorKind::Invalid, invalid_spec(raw).message + ": " +
                                                     mount_config("volume", "field BindOptions must not be specified").message));
  }
  return m;
}

Result<MountPoint> parse_mount_object(const json& j) {
  if (!j.is_object()) return fail(ErrorKind::Invalid, "HostConfig.Mounts: expected an array of objects");
  auto str = [&](const char* key) -> Result<std::string> {
    auto* f = json_field(j, key);
    if (!f) return std::string();
    if (!f->is_string()) return fail(ErrorKind::Invalid, std::string("Mounts.") + key + ": expected a string");
    return f->get<std::string>();
  };
  MountPoint m;
  m.type = BERTH_TRY(str("Type"), "");
  auto source = BERTH_TRY(str("Source"), "");
  auto target = BERTH_TRY(str("Target"), "");
  if (auto* ro = json_field(j, "ReadOnly"); ro && ro->is_boolean()) m.rw = !ro->get<bool>();
  const json* bind = json_field(j, "BindOptions");
  const json* vol = json_field(j, "VolumeOptions");
  const json* tmp = json_field(j, "TmpfsOptions");
  if (m.type != "bind" && m.type != "volume" && m.type != "tmpfs")
    return fail(mount_config(m.type, "mount type unknown"));
  m.destination = BERTH_TRY(check_destination(target, m.type), "");
  if (m.type != "bind" && bind) return fail(mount_config(m.type, "field BindOptions must not be specified"));
  if (m.type != "volume" && vol) return fail(mount_config(m.type, "field VolumeOptions must not be specified"));
  if (m.type == "bind") {
    if (source.empty()) return fail(mount_config("bind", "field Source must not be empty"));
    if (source[0] != '/') return fail(mount_config("bind", "invalid mount path: '" + source + "' mount path must be absolute"));
    if (has_dotdot(source)) return fail(mount_config("bind", "bind source path must not contain '..': " + source));
    m.source = clean_abs_path(source);
    m.propagation = "rprivate";
    if (bind && json_field(*bind, "Propagation")) {
      auto p = json_field(*bind, "Propagation")->is_string() ? json_field(*bind, "Propagation")->get<std::string>() : "?";
      if (!p.empty() && !kPropagations.count(p)) return fail(mount_config("bind", "invalid propagation mode: " + p));
      if (!p.empty()) m.propagation = p;
    }
  } else if (m.type == "volume") {
    m.name = source;
    if (source.empty() && !m.rw) return fail(mount_config("volume", "must not set ReadOnly mode when using anonymous volumes"));
    if (vol) {
      if (auto* nc = json_field(*vol, "NoCopy"); nc && nc->is_boolean()) m.nocopy = nc->get<bool>();
      if (auto* l = json_field(*vol, "Labels"); l && l->is_object())
        for (auto& [k, v] : l->items())
          if (v.is_string()) m.volume_labels[k] = v.get<std::string>();
      if (auto* dc = json_field(*vol, "DriverConfig"); dc && dc->is_object()) {
        if (auto* n = json_field(*dc, "Name"); n && n->is_string()) m.driver = n->get<std::string>();
        if (auto* o = json_field(*dc, "Options"); o && o->is_object())
          for (auto& [k, v] : o->items())
            if (v.is_string()) m.volume_opts[k] = v.get<std::string>();
      }
      if (auto* sp = json_field(*vol, "Subpath"); sp && sp->is_string() && !sp->get<std::string>().empty())
        return fail(mount_config("volume", "volume subpaths are not supported yet"));
    }
  } else {
    if (!source.empty()) return fail(mount_config("tmpfs", "field Source must not be specified"));
    std::vector<std::string> opts;
    if (!m.rw) opts.push_back("ro");
    if (tmp) {
      if (auto* mode = json_field(*tmp, "Mode"); mode && mode->is_number_integer() && mode->get<int64_t>() != 0) {
        char buf[32];
        snprintf(buf, sizeof buf, "mode=%llo", static_cast<unsigned long long>(mode->get<int64_t>()));
        opts.push_back(buf);
      }
      if (auto* sz = json_field(*tmp, "SizeBytes"); sz && sz->is_number_integer() && sz->get<int64_t>() != 0) {
        if (sz->get<int64_t>() < 0) return fail(mount_config("tmpfs", "invalid tmpfs size: negative"));
        opts.push_back("size=" + tmpfs_size(sz->get<int64_t>()));
      }
    }
    for (size_t i = 0; i < opts.size(); ++i) m.tmpfs_data += (i ? "," : "") + opts[i];
  }
  return m;
}

Result<MountPoint> parse_tmpfs(const std::string& dest, const std::string& options) {
  MountPoint m;
  m.type = "tmpfs";
  m.destination = BERTH_TRY(check_destination(dest, "tmpfs"), "");
  static const std::set<std::string> flags = {"ro", "rw", "exec", "noexec", "suid", "nosuid", "dev", "nodev",
                                              "atime", "noatime", "diratime", "nodiratime", "relatime", "strictatime",
                                              "sync", "async", "dirsync", "mand", "nomand"};
  static const std::set<std::string> keyed = {"size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "mpol"};
  if (!options.empty())
    for (auto& o : split(options, ',')) {
      auto key = o.substr(0, o.find('='));
      bool ok = o.find('=') == std::string::npos ? flags.count(o) > 0 : keyed.count(key) > 0;
      if (!ok) return fail(ErrorKind::Invalid, "invalid tmpfs option [\"" + o + "\"]");
      if (o == "ro") m.rw = false;
    }
  m.tmpfs_data = options;
  m.listed = false;
  return m;
}

Result<std::pair<std::string, std::string>> parse_volumes_from(const std::string& spec) {
  if (spec.empty()) return fail(ErrorKind::Invalid, "volumes-from specification cannot be an empty string");
  auto colon = spec.find(':');
  std::string id = spec.substr(0, colon), mode = colon == std::string::npos ? "" : spec.substr(colon + 1);
  if (colon != std::string::npos && mode != "ro" && mode != "rw" && mode != "z" && mode != "Z" && mode != "ro,z" &&
      mode != "ro,Z" && mode != "rw,z" && mode != "rw,Z")
    return fail(ErrorKind::Invalid, "invalid mode: " + mode);
  return std::pair{id, mode};
}

Result<std::vector<MountPoint>> parse_container_mounts(const json& hc, const json& config, const json& image_config,
                                                       const std::vector<MountPoint>& inherited) {
  std::vector<MountPoint> out;
  std::set<std::string> taken;
  auto add = [&](MountPoint m, bool duplicate_is_error) -> Result<> {
    if (taken.count(m.destination)) {
      if (duplicate_is_error) return fail(ErrorKind::Invalid, "Duplicate mount point: " + m.destination);
      return {};
    }
    taken.insert(m.destination);
    out.push_back(std::move(m));
    return {};
  };
  if (auto* binds = json_field(hc, "Binds")) {
    if (!binds->is_array()) return fail(ErrorKind::Invalid, "HostConfig.Binds: expected an array of strings");
    for (auto& b : *binds) {
      if (!b.is_string()) return fail(ErrorKind::Invalid, "HostConfig.Binds: expected an array of strings");
      BERTH_CHECK(add(BERTH_TRY(parse_bind_spec(b.get<std::string>()), ""), true), "");
    }
  }
  if (auto* mounts = json_field(hc, "Mounts")) {
    if (!mounts->is_array()) return fail(ErrorKind::Invalid, "HostConfig.Mounts: expected an array of objects");
    for (auto& j : *mounts) BERTH_CHECK(add(BERTH_TRY(parse_mount_object(j), ""), true), "");
  }
  if (auto* tmpfs = json_field(hc, "Tmpfs")) {
    if (!tmpfs->is_object()) return fail(ErrorKind::Invalid, "HostConfig.Tmpfs: expected an object");
    for (auto& [dest, opts] : tmpfs->items()) {
      if (!opts.is_string()) return fail(ErrorKind::Invalid, "HostConfig.Tmpfs." + dest + ": expected a string");
      BERTH_CHECK(add(BERTH_TRY(parse_tmpfs(dest, opts.get<std::string>()), ""), true), "");
    }
  }
  for (auto& m : inherited) BERTH_CHECK(add(m, false), "");
  // VOLUME paths of the request and of the image: anonymous volumes where nothing else is.
  for (const json* vols : {json_field(config, "Volumes"), json_field(image_config, "Volumes")}) {
    if (!vols) continue;
    if (!vols->is_object()) return fail(ErrorKind::Invalid, "Volumes: expected an object");
    for (auto& [dest, _] : vols->items()) {
      MountPoint m;
      m.type = "volume";
      m.destination = BERTH_TRY(check_destination(dest, "volume"), "");
      BERTH_CHECK(add(std::move(m), false), "");
    }
  }
  return out;
}

json mount_point_inspect(const MountPoint& m) {
  json j = {{"Type", m.type}};
  if (m.type == "volume") j["Name"] = m.name;
  j["Source"] = m.source;
  j["Destination"] = m.destination;
  if (m.type == "volume") j["Driver"] = m.driver.empty() ? "local" : m.driver;
  j["Mode"] = m.mode;
  j["RW"] = m.rw;
  j["Propagation"] = m.propagation;
  return j;
}

json mount_point_to_json(const MountPoint& m) {
  return {{"type", m.type}, {"name", m.name}, {"source", m.source}, {"destination", m.destination},
          {"rw", m.rw}, {"mode", m.mode}, {"propagation", m.propagation}, {"nocopy", m.nocopy},
          {"driver", m.driver}, {"tmpfs_data", m.tmpfs_data}, {"listed", m.listed}};
}

MountPoint mount_point_from_json(const json& j) {
  MountPoint m;
  m.type = j.value("type", "");
  m.name = j.value("name", "");
  m.source = j.value("source", "");
  m.destination = j.value("destination", "");
  m.rw = j.value("rw", true);
  m.mode = j.value("mode", "");
  m.propagation = j.value("propagation", "");
  m.nocopy = j.value("nocopy", false);
  m.driver = j.value("driver", "");
  m.tmpfs_data = j.value("tmpfs_data", "");
  m.listed = j.value("listed", true);
  return m;
}

}  // namespace berth::engine
