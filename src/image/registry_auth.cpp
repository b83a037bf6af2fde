#include "image/registry_auth.hpp"

#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/fs.hpp"
#include "common/json_util.hpp"
#include "image/http.hpp"

namespace berth::image {

std::string default_docker_config_path() {
  if (const char* d = getenv("DOCKER_CONFIG"); d && *d) return std::string(d) + "/config.json";
  const char* home = getenv("HOME");
  return std::string(home && *home ? home : "/root") + "/.docker/config.json";
}

namespace {

std::string strip_scheme(std::string k) {
  for (auto* p : {"https://", "http://"})
    if (k.rfind(p, 0) == 0) k = k.substr(strlen(p));
  auto slash = k.find('/');
  return slash == std::string::npos ? k : k.substr(0, slash);
}

}  // namespace

Result<std::optional<Credentials>> credentials_from_config(const std::string& path, const std::string& domain) {
  if (!path_exists(path)) return std::optional<Credentials>();
  auto text = BERTH_TRY(read_file(path), "docker config");
  auto j = BERTH_TRY(parse_json(text, path), "docker config");
  auto auths = j.find("auths");
  if (auths == j.end()) return std::optional<Credentials>();
  if (!auths->is_object()) return fail(ErrorKind::Invalid, path + ": auths: expected object");
  for (auto& [key, entry] : auths->items()) {
    std::string host = strip_scheme(key);
    bool match = host == domain || (domain == "docker.io" && (host == "index.docker.io" || host == "registry-1.docker.io"));
    if (!match) continue;
    if (!entry.is_object()) return fail(ErrorKind::Invalid, path + ": auths." + key + ": expected object");
    Credentials c;
    if (auto a = entry.find("auth"); a != entry.end() && a->is_string() && !a->get<std::string>().empty()) {
      auto dec = http::base64_decode(a->get<std::string>());
      if (!dec) return fail(ErrorKind::Invalid, path + ": auths." + key + ".auth: invalid base64");
      auto colon = dec->find(':');
      if (colon == std::string::npos)
        return fail(ErrorKind::Invalid, path + ": auths." + key + ".auth: expected base64 of user:password");
      c.username = dec->substr(0, colon);
      c.password = dec->substr(colon + 1);
    }
    if (auto u = entry.find("username"); u != entry.end() && u->is_string()) c.username = u->get<std::string>();
    if (auto p = entry.find("password"); p != entry.end() && p->is_string()) c.password = p->get<std::string>();
    if (auto t = entry.find("identitytoken"); t != entry.end() && t->is_string()) c.identity_token = t->get<std::string>();
    return std::optional<Credentials>(c);
  }
  return std::optional<Credentials>();
}

Result<Challenge> parse_challenge(std::string_view h) {
  Challenge c;
  size_t i = 0;
  while (i < h.size() && h[i] == ' ') ++i;
  size_t s = i;
  while (i < h.size() && h[i] != ' ') ++i;
  c.scheme = std::string(h.substr(s, i - s));
  for (auto& ch : c.scheme) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (c.scheme != "basic" && c.scheme != "bearer")
    return fail(ErrorKind::Invalid, "WWW-Authenticate: unsupported scheme \"" + c.scheme + "\"");
  // key=value or key="quoted, value" pairs separated by commas.
  while (i < h.size()) {
    while (i < h.size() && (h[i] == ' ' || h[i] == ',')) ++i;
    size_t ks = i;
    while (i < h.size() && h[i] != '=' && h[i] != ',') ++i;
    std::string key(h.substr(ks, i - ks));
    if (i >= h.size() || h[i] != '=') {
      if (!key.empty() && key.find_first_not_of(' ') != std::string::npos)
        return fail(ErrorKind::Invalid, "WWW-Authenticate: parameter \"" + key + "\" has no value");
      continue;
    }
    ++i;
    std::string val;
    if (i < h.size() && h[i] == '"') {
      ++i;
      while (i < h.size() && h[i] != '"') {
        if (h[i] == '\\' && i + 1 < h.size()) ++i;
        val += h[i++];
      }
      if (i >= h.size()) return fail(ErrorKind::Invalid, "WWW-Authenticate: unterminated quote in \"" + key + "\"");
      ++i;
    } else {
      size_t vs = i;
      while (i < h.size() && h[i] != ',') ++i;
      val = std::string(h.substr(vs, i - vs));
    }
    for (auto& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    c.params[key] = val;
  }
  if (c.scheme == "bearer" && c.params["realm"].empty())
    return fail(ErrorKind::Invalid, "WWW-Authenticate: Bearer challenge without realm");
  return c;
}

}  // namespace berth::image
