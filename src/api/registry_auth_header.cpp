#include "api/registry_auth_header.hpp"

#include <nlohmann/json.hpp>

#include "common/json_util.hpp"
#include "image/http.hpp"

namespace berth::api {

std::string normalize_server_address(std::string_view addr) {
  std::string s(addr);
  for (const char* scheme : {"https://", "http://"})
    if (s.starts_with(scheme)) s = s.substr(std::string_view(scheme).size());
  if (auto slash = s.find('/'); slash != std::string::npos) s.resize(slash);
  if (s == "index.docker.io" || s == "registry-1.docker.io") s = "docker.io";
  return s;
}

Result<AuthConfig> parse_auth_config(const nlohmann::json& body) {
  if (!body.is_object()) return fail(json_type_error("auth config", "object", body));
  auto str = [&](const char* k) -> Result<std::string> {
    auto it = body.find(k);
    if (it == body.end() || it->is_null()) return std::string();
    if (!it->is_string()) return fail(json_type_error(k, "string", *it));
    return it->get<std::string>();
  };
  AuthConfig a;
  image::Credentials c;
  c.username = BERTH_TRY(str("username"), "");
  c.password = BERTH_TRY(str("password"), "");
  c.identity_token = BERTH_TRY(str("identitytoken"), "");
  a.server = normalize_server_address(BERTH_TRY(str("serveraddress"), ""));
  if (!c.username.empty() || !c.identity_token.empty()) a.credentials = c;
  return a;
}

AuthConfig parse_registry_auth_header(std::string_view header) {
  if (header.empty()) return {};
  std::string b64(header);
  for (auto& ch : b64) ch = ch == '-' ? '+' : ch == '_' ? '/' : ch;  // base64url as the clients send it
  while (b64.size() % 4) b64 += '=';
  auto text = image::http::base64_decode(b64);
  if (!text) return {};
  auto j = parse_json(*text, "X-Registry-Auth");
  if (!j) return {};
  auto a = parse_auth_config(*j);
  return a ? *a : AuthConfig{};
}

}  // namespace berth::api
