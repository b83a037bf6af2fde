#include "api/api_version.hpp"

#include <charconv>

namespace berth::api {

namespace {

// Next dotted component as a number; missing components count as 0.
long next_part(std::string_view& s) {
  long v = 0;
  auto dot = s.find('.');
  auto part = s.substr(0, dot);
  std::from_chars(part.data(), part.data() + part.size(), v);
  s = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
  return v;
}

}  // namespace

int compare_versions(std::string_view a, std::string_view b) {
  while (!a.empty() || !b.empty()) {
    long x = next_part(a), y = next_part(b);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

VersionedPath split_version(std::string_view path) {
  // gorilla/mux pattern in dockerd: /v{version:[0-9.]+}/...
  if (path.size() > 2 && path[0] == '/' && path[1] == 'v') {
    size_t i = 2;
    while (i < path.size() && (std::isdigit(static_cast<unsigned char>(path[i])) || path[i] == '.')) ++i;
    if (i > 2 && i < path.size() && path[i] == '/') return {std::string(path.substr(2, i - 2)), std::string(path.substr(i))};
  }
  return {"", std::string(path)};
}

Result<std::string> negotiate_version(std::string_view requested) {
  if (requested.empty()) return std::string(kMaxApiVersion);
  std::string v(requested);
  if (compare_versions(v, kMinApiVersion) < 0)
    return fail(ErrorKind::Invalid, "client version " + v + " is too old. Minimum supported API version is " +
                                        std::string(kMinApiVersion) + ", please upgrade your client to a newer version");
  if (compare_versions(v, kMaxApiVersion) > 0)
    return fail(ErrorKind::Invalid, "client version " + v + " is too new. Maximum supported API version is " +
                                        std::string(kMaxApiVersion));
  return v;
}

}  // namespace berth::api
