#include "engine/seccomp_profile.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <charconv>
#include <map>

namespace berth::engine {

using nlohmann::json;

namespace {

#include "seccomp_default_profile.inc"  // kDefaultSeccompProfile: generated from data/seccomp/default.json

// GOARCH -> libseccomp's architecture, as dockerd maps its own.
const std::map<std::string, std::string>& seccomp_arch_of() {
  static const std::map<std::string, std::string> m = {
      {"386", "SCMP_ARCH_X86"},          {"amd64", "SCMP_ARCH_X86_64"},     {"arm", "SCMP_ARCH_ARM"},
      {"arm64", "SCMP_ARCH_AARCH64"},    {"mips64", "SCMP_ARCH_MIPS64"},    {"mips64n32", "SCMP_ARCH_MIPS64N32"},
      {"mipsel64", "SCMP_ARCH_MIPSEL64"}, {"mipsel64n32", "SCMP_ARCH_MIPSEL64N32"}, {"mipsn32", "SCMP_ARCH_MIPS64N32"},
      {"ppc64le", "SCMP_ARCH_PPC64LE"},  {"s390x", "SCMP_ARCH_S390X"},      {"riscv64", "SCMP_ARCH_RISCV64"}};
  return m;
}

bool contains(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

std::vector<std::string> string_list(const json& obj, const char* key) {
  std::vector<std::string> out;
  if (!obj.is_object() || !obj.contains(key) || !obj[key].is_array()) return out;
  for (auto& e : obj[key])
    if (e.is_string()) out.push_back(e.get<std::string>());
  return out;
}

// "5.10.0-8-amd64" -> {5, 10}; minKernel compares major.minor as dockerd does.
std::pair<int, int> kernel_version(const std::string& s) {
  int major = 0, minor = 0;
  auto dot = s.find('.');
  std::from_chars(s.data(), s.data() + s.size(), major);
  if (dot != std::string::npos) std::from_chars(s.data() + dot + 1, s.data() + s.size(), minor);
  return {major, minor};
}

// Whether a rule applies to the target (dockerd's includes/excludes: every included cap is
// needed, any excluded one drops the rule).
Result<bool> applies(const json& rule, const SeccompTarget& t, const std::string& path) {
  if (rule.contains("excludes") && rule["excludes"].is_object()) {
    const json& ex = rule["excludes"];
    if (contains(string_list(ex, "arches"), t.arch)) return false;
    for (auto& c : string_list(ex, "caps"))
      if (contains(t.caps, c)) return false;
    if (ex.contains("minKernel") && !ex["minKernel"].is_null())
      return fail(ErrorKind::Invalid, path + ".excludes.minKernel: not supported");
  }
  if (rule.contains("includes") && rule["includes"].is_object()) {
    const json& in = rule["includes"];
    auto arches = string_list(in, "arches");
    if (!arches.empty() && !contains(arches, t.arch)) return false;
    for (auto& c : string_list(in, "caps"))
      if (!contains(t.caps, c)) return false;
    if (in.contains("minKernel") && in["minKernel"].is_string() && !t.kernel.empty()) {
      auto want = in["minKernel"].get<std::string>();
      if (want.find('.') == std::string::npos)
        return fail(ErrorKind::Invalid, "invalid kernel version: " + want);
      if (kernel_version(t.kernel) < kernel_version(want)) return false;
    }
  }
  return true;
}

}  // namespace

const json& default_seccomp_profile() {
  static const json p = json::parse(kDefaultSeccompProfile);
  return p;
}

std::string native_go_arch() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__s390x__)
  return "s390x";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return "ppc64le";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#elif defined(__i386__)
  return "386";
#elif defined(__arm__)
  return "arm";
#else
  return "unknown";
#endif
}

std::string host_kernel_release() {
  utsname u{};
  return uname(&u) == 0 ? u.release : "";
}

Result<json> parse_seccomp_profile(const std::string& text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    return fail(ErrorKind::Invalid, std::string("Decoding seccomp profile failed: ") + e.what());
  }
  if (!j.is_object()) return fail(ErrorKind::Invalid, "Decoding seccomp profile failed: the profile must be a JSON object");
  return j;
}

Result<json> resolve_seccomp_profile(const json& profile, const SeccompTarget& t) {
  if (!profile.is_object()) return fail(ErrorKind::Invalid, "seccomp profile: expected a JSON object");
  json out = json::object();
  for (const char* k : {"defaultAction", "defaultErrnoRet", "listenerPath", "listenerMetadata", "flags"})
    if (profile.contains(k) && !profile[k].is_null()) out[k] = profile[k];
  if (!out.contains("defaultAction")) return fail(ErrorKind::Invalid, "seccomp profile: no defaultAction");

  auto archs = string_list(profile, "architectures");
  bool has_map = profile.contains("archMap") && profile["archMap"].is_array() && !profile["archMap"].empty();
  if (!archs.empty() && has_map)
    return fail(ErrorKind::Invalid,
                "'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'");
  if (has_map) {
    auto native = seccomp_arch_of().find(t.arch);
    for (auto& a : profile["archMap"]) {
      if (!a.is_object() || native == seccomp_arch_of().end() || a.value("architecture", "") != native->second) continue;
      archs.push_back(native->second);
      for (auto& sub : string_list(a, "subArchitectures")) archs.push_back(sub);
    }
  }
  if (!archs.empty()) out["architectures"] = archs;

  json calls = json::array();
  if (profile.contains("syscalls") && !profile["syscalls"].is_null()) {
    if (!profile["syscalls"].is_array()) return fail(ErrorKind::Invalid, "seccomp profile: syscalls: expected an array");
    size_t i = 0;
    for (auto& rule : profile["syscalls"]) {
      std::string path = "seccomp profile: syscalls[" + std::to_string(i++) + "]";
      if (!rule.is_object()) return fail(ErrorKind::Invalid, path + ": expected an object");
      auto names = string_list(rule, "names");
      if (rule.contains("name") && rule["name"].is_string() && !rule["name"].get<std::string>().empty()) {
        if (!names.empty()) return fail(ErrorKind::Invalid, "use either 'name' or 'names'");
        names.push_back(rule["name"].get<std::string>());
      }
      if (!BERTH_TRY(applies(rule, t, path), "")) continue;
      json c = {{"names", names}, {"action", rule.value("action", json())}};
      for (const char* k : {"args", "errnoRet"})
        if (rule.contains(k) && !rule[k].is_null()) c[k] = rule[k];
      calls.push_back(std::move(c));
    }
  }
  out["syscalls"] = calls;
  return out;
}

}  // namespace berth::engine
