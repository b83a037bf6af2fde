#include "image/reference.hpp"

#include <cctype>

namespace berth::image {

namespace {

bool valid_path_component(std::string_view c) {
  if (c.empty()) return false;
  for (char ch : c)
    if (!(std::islower(static_cast<unsigned char>(ch)) || std::isdigit(static_cast<unsigned char>(ch)) || ch == '.' ||
          ch == '_' || ch == '-'))
      return false;
  return std::isalnum(static_cast<unsigned char>(c.front())) && std::isalnum(static_cast<unsigned char>(c.back()));
}

bool valid_tag(std::string_view t) {
  if (t.empty() || t.size() > 128) return false;
  if (!(std::isalnum(static_cast<unsigned char>(t[0])) || t[0] == '_')) return false;
  for (char ch : t)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.' || ch == '-')) return false;
  return true;
}

bool valid_domain(std::string_view d) {
  auto colon = d.rfind(':');
  auto host = d.substr(0, colon);
  if (host.empty()) return false;
  for (char ch : host)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-')) return false;
  if (colon != std::string_view::npos) {
    auto port = d.substr(colon + 1);
    if (port.empty()) return false;
    for (char ch : port)
      if (!std::isdigit(static_cast<unsigned char>(ch))) return false;
  }
  return true;
}

}  // namespace

Result<Reference> Reference::parse(std::string_view s) {
  auto bad = [&](const std::string& why) {
    return fail(ErrorKind::Invalid, "invalid reference \"" + std::string(s) + "\": " + why);
  };
  if (s.empty()) return bad("empty");
  Reference r;
  std::string_view rest = s;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    auto d = Digest::parse(rest.substr(at + 1));
    if (!d) return bad(d.error().message);
    r.digest = *d;
    rest = rest.substr(0, at);
  }
  // The tag is after the last ':' that follows the last '/' (a ':' before that is a port).
  auto slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    r.tag = std::string(rest.substr(colon + 1));
    if (!valid_tag(r.tag)) return bad("invalid tag \"" + r.tag + "\"");
    rest = rest.substr(0, colon);
  }
  auto first_slash = rest.find('/');
  std::string_view first = rest.substr(0, first_slash);
  if (first_slash != std::string_view::npos &&
      (first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos || first == "localhost")) {
    r.domain = std::string(first);
    if (!valid_domain(r.domain)) return bad("invalid registry host \"" + r.domain + "\"");
    rest = rest.substr(first_slash + 1);
  } else {
    r.domain = "docker.io";
  }
  if (r.domain == "index.docker.io") r.domain = "docker.io";
  r.path = std::string(rest);
  if (r.domain == "docker.io" && r.path.find('/') == std::string::npos) r.path = "library/" + r.path;
  size_t start = 0;
  while (true) {
    auto p = r.path.find('/', start);
    auto comp = std::string_view(r.path).substr(start, p == std::string::npos ? std::string::npos : p - start);
    if (!valid_path_component(comp)) return bad("invalid repository name component \"" + std::string(comp) + "\"");
    if (p == std::string::npos) break;
    start = p + 1;
  }
  if (r.tag.empty() && !r.digest) r.tag = "latest";
  return r;
}

std::string Reference::familiar_name() const {
  if (domain == "docker.io") return path.rfind("library/", 0) == 0 ? path.substr(8) : path;
  return domain + "/" + path;
}

std::string Reference::str() const {
  std::string s = familiar_name();
  if (!tag.empty()) s += ":" + tag;
  if (digest) s += "@" + digest->str();
  return s;
}

}  // namespace berth::image
