#include "engine/build/run_mount.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <vector>

#include "common/text.hpp"
#include "engine/build/parse_error.hpp"

namespace berth::engine::build {
namespace {


// One CSV record, as Go's encoding/csv reads it: "a,b" quoted fields with "" for a quote.
Result<std::vector<std::string>> csv_fields(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (true) {
    std::string field;
    if (i < s.size() && s[i] == '"') {
      ++i;
      while (true) {
        if (i >= s.size()) return fail(bad("extraneous or missing \" in quoted-field"));
        if (s[i] == '"') {
          if (i + 1 < s.size() && s[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field += s[i++];
      }
      if (i < s.size() && s[i] != ',') return fail(bad("extraneous or missing \" in quoted-field"));
    } else {
      while (i < s.size() && s[i] != ',') field += s[i++];
    }
    out.push_back(std::move(field));
    if (i >= s.size()) break;
    ++i;  // the comma
  }
  return out;
}

// Go's strconv.ParseBool.
std::optional<bool> parse_bool(std::string_view v) {
  for (auto t : {"1", "t", "T", "TRUE", "true", "True"}) if (v == t) return true;
  for (auto f : {"0", "f", "F", "FALSE", "false", "False"}) if (v == f) return false;
  return std::nullopt;
}

std::optional<uint32_t> parse_u32(std::string_view v, int base) {
  uint32_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n, base);
  if (v.empty() || ec != std::errc() || p != v.data() + v.size()) return std::nullopt;
  return n;
}

// "64m", "1g", "4096": tmpfs sizes as units.RAMInBytes reads them (binary multiples).
std::optional<uint64_t> parse_size(std::string_view v) {
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc()) return std::nullopt;
  std::string unit = ascii_lower(std::string_view(p, v.data() + v.size()));
  if (!unit.empty() && unit.back() == 'b') unit.pop_back();
  if (!unit.empty() && unit.back() == 'i') unit.pop_back();
  static const std::pair<const char*, uint64_t> units[] = {
      {"", 1}, {"k", 1ull << 10}, {"m", 1ull << 20}, {"g", 1ull << 30}, {"t", 1ull << 40}};
  for (auto& [u, mul] : units) {
    if (unit == u) return n * mul;
  }
  return std::nullopt;
}

const char* type_name(MountType t) {
  switch (t) {
    case MountType::Bind: return "bind";
    case MountType::Cache: return "cache";
    case MountType::Tmpfs: return "tmpfs";
  }
  return "";
}

}  // namespace

Result<RunMount> parse_run_mount(std::string_view value) {
  auto fields = csv_fields(value);
  if (!fields) return std::unexpected(fields.error());
  RunMount m;
  bool ro_given = false, sharing_given = false;
  for (const auto& field : *fields) {
    if (field.empty()) continue;
    auto eq = field.find('=');
    std::string key = ascii_lower(field.substr(0, eq));
    if (eq == std::string::npos) {
      if (key == "readonly" || key == "ro") {
        m.readonly = ro_given = true;
        continue;
      }
      if (key == "readwrite" || key == "rw") {
        m.readonly = false;
        ro_given = true;
        continue;
      }
      return fail(bad("invalid field '" + field + "' must be a key=value pair"));
    }
    std::string v = field.substr(eq + 1);
    if (key == "type") {
      std::string t = ascii_lower(v);
      if (t == "bind") m.type = MountType::Bind;
      else if (t == "cache") m.type = MountType::Cache;
      else if (t == "tmpfs") m.type = MountType::Tmpfs;
      else if (t == "secret" || t == "ssh") return fail(bad("mount type \"" + v + "\" is not supported by this builder"));
      else return fail(bad("unsupported mount type \"" + v + "\""));
    } else if (key == "source" || key == "src") {
      m.source = v;
    } else if (key == "target" || key == "dst" || key == "destination") {
      m.target = v;
    } else if (key == "readonly" || key == "ro" || key == "readwrite" || key == "rw") {
      auto b = parse_bool(v);
      if (!b) return fail(bad("invalid value for " + key + ": " + v));
      m.readonly = (key == "readonly" || key == "ro") ? *b : !*b;
      ro_given = true;
    } else if (key == "id") {
      m.id = v;
    } else if (key == "sharing") {
      std::string s = ascii_lower(v);
      if (s == "shared") m.sharing = CacheSharing::Shared;
      else if (s == "private") m.sharing = CacheSharing::Private;
      else if (s == "locked") m.sharing = CacheSharing::Locked;
      else return fail(bad("unsupported sharing value \"" + v + "\""));
      sharing_given = true;
    } else if (key == "from") {
      m.from = v;
    } else if (key == "mode") {
      if (!(m.mode = parse_u32(v, 8))) return fail(bad("invalid value " + v + " for mode"));
    } else if (key == "uid") {
      if (!(m.uid = parse_u32(v, 10))) return fail(bad("invalid value " + v + " for uid"));
    } else if (key == "gid") {
      if (!(m.gid = parse_u32(v, 10))) return fail(bad("invalid value " + v + " for gid"));
    } else if (key == "size") {
      if (!(m.size = parse_size(v))) return fail(bad("invalid value " + v + " for size"));
    } else {
      return fail(bad("unexpected key '" + key + "' in '" + field + "'"));
    }
  }
  std::string t = type_name(m.type);
  if (m.type != MountType::Cache) {
    if (m.mode) return fail(bad("mode not allowed for \"" + t + "\" type mounts"));
    if (m.uid) return fail(bad("uid not allowed for \"" + t + "\" type mounts"));
    if (m.gid) return fail(bad("gid not allowed for \"" + t + "\" type mounts"));
    if (sharing_given) return fail(bad("invalid cache sharing set for " + t + " mount"));
    if (!m.id.empty()) return fail(bad("id not allowed for \"" + t + "\" type mounts"));
  }
  if (m.size && m.type != MountType::Tmpfs) return fail(bad("size not allowed for \"" + t + "\" type mounts"));
  if (m.type == MountType::Tmpfs && (!m.source.empty() || !m.from.empty())) {
    return fail(bad("source and from not allowed for \"tmpfs\" type mounts"));
  }
  if (m.target.empty()) return fail(bad("mount target must be specified (target=)"));
  if (!ro_given) m.readonly = m.type == MountType::Bind;
  if (m.type == MountType::Cache && m.id.empty()) m.id = m.target;
  return m;
}

}  // namespace berth::engine::build
