#include "cri/pull_auth.hpp"

#include "image/http.hpp"

namespace berth::cri {

Result<std::optional<image::Credentials>> pull_credentials(const AuthFields& a) {
  image::Credentials c{a.username, a.password, a.identity_token, a.registry_token};
  if (!a.auth.empty()) {
    auto decoded = image::http::base64_decode(a.auth);
    auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (!decoded || colon == std::string::npos)
      return fail(ErrorKind::Invalid, "auth config: auth: expected the base64 encoding of \"username:password\"");
    c.username = decoded->substr(0, colon);
    c.password = decoded->substr(colon + 1);
  }
  if (c.username.empty() && c.password.empty() && c.identity_token.empty() && c.registry_token.empty())
    return std::optional<image::Credentials>();
  return std::optional<image::Credentials>(std::move(c));
}

}  // namespace berth::cri
