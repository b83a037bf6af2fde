#include "image/registry_client.hpp"

#include <unistd.h>

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "image/content_store.hpp"
#include "image/http.hpp"
#include "image/image_model.hpp"

namespace berth::image {

std::string registry_host(const std::string& domain) {
  return domain == "docker.io" ? "registry-1.docker.io" : domain;
}

bool registry_is_insecure(const std::string& domain, const std::vector<std::string>& insecure) {
  std::string host = domain.substr(0, domain.rfind(':') == std::string::npos ? domain.size() : domain.rfind(':'));
  if (host == "localhost" || host == "127.0.0.1" || host == "[::1]") return true;
  for (auto& i : insecure)
    if (i == domain || i == host) return true;
  return false;
}

namespace {

constexpr const char* kAccept =
    "Accept: application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

// "errors":[{"code":..,"message":..}] from the registry, or the status line.
std::string registry_error(const http::Response& r) {
  std::string out = "HTTP " + std::to_string(r.status);
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("errors") && j["errors"].is_array()) {
    for (auto& e : j["errors"]) {
      if (!e.is_object()) continue;
      out += ": " + e.value("code", std::string()) + " " + e.value("message", std::string());
    }
  }
  return out;
}

ErrorKind kind_for(long status) {
  switch (status) {
    case 401:
    case 403: return ErrorKind::Permission;
    case 404: return ErrorKind::NotFound;
    case 400: return ErrorKind::Invalid;
    default: return status >= 500 ? ErrorKind::Unavailable : ErrorKind::Internal;
  }
}

}  // namespace

struct RegistryClient::Impl {
  std::string domain;
  RegistryOptions opts;
  std::string base;
  std::mutex mu;
  std::map<std::string, std::string> tokens;  // scope -> bearer token
  std::string basic;                          // "Basic ..." once a Basic challenge was seen
  std::optional<Credentials> creds;
  bool creds_loaded = false;

  Result<std::optional<Credentials>> credentials() {
    std::lock_guard lk(mu);
    if (!creds_loaded) {
      if (opts.credentials) {
        creds = opts.credentials;
      } else {
        auto path = opts.docker_config.empty() ? default_docker_config_path() : opts.docker_config;
        creds = BERTH_TRY(credentials_from_config(path, domain), "registry credentials");
      }
      creds_loaded = true;
    }
    return creds;
  }

  std::string url(const std::string& path) const { return base + path; }
  std::string absolute(const std::string& loc) const {
    if (loc.rfind("http://", 0) == 0 || loc.rfind("https://", 0) == 0) return loc;
    return base + (loc.empty() || loc[0] != '/' ? "/" : "") + loc;
  }

  http::Request req(const std::string& method, const std::string& u) const {
    http::Request r;
    r.method = method;
    r.url = u;
    r.ca_file = opts.ca_file;
    r.tls_verify = opts.tls_verify;
    return r;
  }

  // Fetches a token for the challenge's realm/service/scope(s).
  Result<std::string> fetch_token(const Challenge& ch, const std::string& key) {
    std::string u = ch.params.at("realm");
    std::string q;
    if (auto s = ch.params.find("service"); s != ch.params.end()) q += "service=" + http::url_escape(s->second);
    if (auto s = ch.params.find("scope"); s != ch.params.end()) {
      // Several scopes are space separated in the challenge and separate parameters in the request.
      size_t i = 0;
      while (i < s->second.size()) {
        auto j = s->second.find(' ', i);
        if (j == std::string::npos) j = s->second.size();
        if (j > i) q += std::string(q.empty() ? "" : "&") + "scope=" + http::url_escape(s->second.substr(i, j - i));
        i = j + 1;
      }
    }
    if (!q.empty()) u += (u.find('?') == std::string::npos ? "?" : "&") + q;
    auto r = req("GET", u);
    auto c = BERTH_TRY(credentials(), "");
    if (c && !c->username.empty())
      r.headers.push_back("Authorization: Basic " + http::base64_encode(c->username + ":" + c->password));
    auto resp = BERTH_TRY(http::perform(r), "get registry token");
    if (resp.status == 401 || resp.status == 403)
      return fail(ErrorKind::Permission, "get registry token from " + ch.params.at("realm") + ": " +
                                             registry_error(resp) + (c ? "" : " (no credentials configured)"));
    if (resp.status != 200)
      return fail(ErrorKind::Unavailable, "get registry token from " + ch.params.at("realm") + ": " + registry_error(resp));
    auto j = nlohmann::json::parse(resp.body, nullptr, false);
    std::string tok;
    if (j.is_object()) tok = j.value("token", j.value("access_token", std::string()));
    if (tok.empty()) return fail(ErrorKind::Invalid, "registry token response: token: missing");
    std::lock_guard lk(mu);
    tokens[key] = tok;
    return tok;
  }

  // Sends r; on a 401 answers the challenge once and sends it again.
  Result<http::Response> send(http::Request r, const std::string& scope) {
    std::string auth;
    {
      std::lock_guard lk(mu);
      if (auto t = tokens.find(scope); t != tokens.end()) auth = "Authorization: Bearer " + t->second;
      else if (!basic.empty()) auth = "Authorization: " + basic;
    }
    auto base_headers = r.headers;
    if (!auth.empty()) r.headers.push_back(auth);
    int body_fd = r.body_fd;
    off_t start = body_fd >= 0 ? lseek(body_fd, 0, SEEK_CUR) : 0;
    auto resp = BERTH_TRY(http::perform(r), "");
    if (resp.status != 401) return resp;
    auto hdr = resp.header("www-authenticate");
    if (hdr.empty()) return fail(ErrorKind::Permission, r.method + " " + r.url + ": unauthorized, no challenge");
    auto ch = BERTH_TRY(parse_challenge(hdr), r.method + " " + r.url);
    r.headers = base_headers;
    if (ch.scheme == "basic") {
      auto c = BERTH_TRY(credentials(), "");
      if (!c) return fail(ErrorKind::Permission, r.method + " " + r.url + ": authentication required (no credentials for " + domain + ")");
      std::string b = "Basic " + http::base64_encode(c->username + ":" + c->password);
      {
        std::lock_guard lk(mu);
        basic = b;
      }
      r.headers.push_back("Authorization: " + b);
    } else {
      // A registry token given by the caller (CRI's AuthConfig.registry_token) is sent as is.
      auto c = BERTH_TRY(credentials(), "");
      auto tok = c && !c->registry_token.empty() ? c->registry_token : BERTH_TRY(fetch_token(ch, scope), "");
      r.headers.push_back("Authorization: Bearer " + tok);
    }
    if (body_fd >= 0) lseek(body_fd, start, SEEK_SET);
    resp = BERTH_TRY(http::perform(r), "");
    if (resp.status == 401)
      return fail(ErrorKind::Permission, r.method + " " + r.url + ": " + registry_error(resp) + " (credentials refused)");
    return resp;
  }
};

RegistryClient::RegistryClient(std::string domain, RegistryOptions opts) : impl_(std::make_unique<Impl>()) {
  impl_->domain = std::move(domain);
  impl_->opts = std::move(opts);
  impl_->base = !impl_->opts.endpoint.empty()
                    ? impl_->opts.endpoint
                    : std::string(registry_is_insecure(impl_->domain, impl_->opts.insecure) ? "http://" : "https://") +
                          registry_host(impl_->domain);
}
RegistryClient::~RegistryClient() = default;

const std::string& RegistryClient::domain() const { return impl_->domain; }
std::string RegistryClient::base_url() const { return impl_->base; }

namespace {
std::string pull_scope(const std::string& repo) { return "repository:" + repo + ":pull"; }
std::string push_scope(const std::string& repo) { return "repository:" + repo + ":pull,push"; }
}  // namespace

Result<> RegistryClient::ping() {
  auto resp = BERTH_TRY(impl_->send(impl_->req("GET", impl_->url("/v2/")), "registry:catalog:*"),
                        "ping " + impl_->domain);
  if (resp.status != 200) return fail(kind_for(resp.status), "ping " + impl_->domain + ": " + registry_error(resp));
  return {};
}

Result<FetchedManifest> RegistryClient::get_manifest(const std::string& repo, const std::string& reference) {
  std::string ctx = "get manifest " + impl_->domain + "/" + repo + ":" + reference;
  auto r = impl_->req("GET", impl_->url("/v2/" + repo + "/manifests/" + reference));
  r.headers.push_back(kAccept);
  auto resp = BERTH_TRY(impl_->send(r, pull_scope(repo)), ctx);
  if (resp.status != 200) return fail(kind_for(resp.status), ctx + ": " + registry_error(resp));
  FetchedManifest m;
  m.bytes = std::move(resp.body);
  m.media_type = resp.header("content-type");
  m.digest = Digest::of(m.bytes);
  if (reference.rfind("sha256:", 0) == 0) {
    auto want = BERTH_TRY(Digest::parse(reference), ctx);
    if (want != m.digest)
      return fail(ErrorKind::Invalid, ctx + ": digest mismatch: expected " + want.str() + ", got " + m.digest.str());
  } else if (auto h = resp.header("docker-content-digest"); !h.empty()) {
    auto said = Digest::parse(h);
    if (said && *said != m.digest)
      return fail(ErrorKind::Invalid, ctx + ": Docker-Content-Digest " + said->str() + " does not match the body (" +
                                          m.digest.str() + ")");
  }
  return m;
}

Result<> RegistryClient::fetch_blob(const std::string& repo, const Digest& d, int64_t size, ContentWriter& w,
                                    const std::function<bool(uint64_t, uint64_t)>& progress) {
  std::string ctx = "fetch blob " + d.str();
  auto r = impl_->req("GET", impl_->url("/v2/" + repo + "/blobs/" + d.str()));
  uint64_t got = 0;
  r.sink = [&](std::string_view b) -> Result<> {
    BERTH_CHECK(w.write(b), "");
    got += b.size();
    if (progress && !progress(got, size > 0 ? static_cast<uint64_t>(size) : 0))
      return fail(ErrorKind::Conflict, "transfer cancelled");
    return {};
  };
  auto resp = BERTH_TRY(impl_->send(r, pull_scope(repo)), ctx);
  if (resp.status != 200) return fail(kind_for(resp.status), ctx + ": " + registry_error(resp));
  BERTH_CHECK(w.commit(d, size >= 0 ? std::optional<uint64_t>(static_cast<uint64_t>(size)) : std::nullopt), ctx);
  return {};
}

Result<bool> RegistryClient::blob_exists(const std::string& repo, const Digest& d) {
  auto resp = BERTH_TRY(impl_->send(impl_->req("HEAD", impl_->url("/v2/" + repo + "/blobs/" + d.str())), push_scope(repo)),
                        "check blob " + d.str());
  if (resp.status == 200) return true;
  if (resp.status == 404) return false;
  return fail(kind_for(resp.status), "check blob " + d.str() + ": HTTP " + std::to_string(resp.status));
}

Result<bool> RegistryClient::mount_blob(const std::string& repo, const std::string& from, const Digest& d) {
  std::string ctx = "mount blob " + d.str() + " from " + from;
  auto r = impl_->req("POST", impl_->url("/v2/" + repo + "/blobs/uploads/?mount=" + http::url_escape(d.str()) +
                                         "&from=" + http::url_escape(from)));
  r.headers.push_back("Content-Length: 0");
  auto resp = BERTH_TRY(impl_->send(r, push_scope(repo) + " " + pull_scope(from)), ctx);
  if (resp.status == 201) return true;
  if (resp.status == 202) {
    // The registry started an ordinary upload instead; cancel it, the caller uploads.
    auto loc = resp.header("location");
    if (!loc.empty()) (void)impl_->send(impl_->req("DELETE", impl_->absolute(loc)), push_scope(repo));
    return false;
  }
  return fail(kind_for(resp.status), ctx + ": " + registry_error(resp));
}

Result<> RegistryClient::upload_blob(const std::string& repo, const Digest& d, int fd, uint64_t size,
                                     const std::function<void(uint64_t, uint64_t)>& progress) {
  std::string ctx = "upload blob " + d.str();
  std::string scope = push_scope(repo);
  auto start = impl_->req("POST", impl_->url("/v2/" + repo + "/blobs/uploads/"));
  start.headers.push_back("Content-Length: 0");
  auto resp = BERTH_TRY(impl_->send(start, scope), ctx);
  if (resp.status != 202) return fail(kind_for(resp.status), ctx + ": start upload: " + registry_error(resp));
  std::string loc = impl_->absolute(resp.header("location"));
  if (loc.empty()) return fail(ErrorKind::Invalid, ctx + ": registry sent no upload Location");
  lseek(fd, 0, SEEK_SET);
  auto with_digest = [&](const std::string& l) {
    return l + (l.find('?') == std::string::npos ? "?" : "&") + "digest=" + http::url_escape(d.str());
  };
  uint64_t chunk = impl_->opts.chunk_size;
  if (chunk > 0 && size > 0) {
    uint64_t off = 0;
    while (off < size) {
      uint64_t n = std::min(chunk, size - off);
      auto p = impl_->req("PATCH", loc);
      p.body_fd = fd;
      p.body_size = n;
      p.headers.push_back("Content-Type: application/octet-stream");
      p.headers.push_back("Content-Range: " + std::to_string(off) + "-" + std::to_string(off + n - 1));
      auto pr = BERTH_TRY(impl_->send(p, scope), ctx);
      if (pr.status != 202) return fail(kind_for(pr.status), ctx + ": chunk at " + std::to_string(off) + ": " + registry_error(pr));
      loc = impl_->absolute(pr.header("location"));
      off += n;
      if (progress) progress(off, size);
    }
    auto fin = impl_->req("PUT", with_digest(loc));
    fin.headers.push_back("Content-Length: 0");
    auto fr = BERTH_TRY(impl_->send(fin, scope), ctx);
    if (fr.status != 201) return fail(kind_for(fr.status), ctx + ": finish: " + registry_error(fr));
    return {};
  }
  auto put = impl_->req("PUT", with_digest(loc));
  put.body_fd = fd;
  put.body_size = size;
  put.headers.push_back("Content-Type: application/octet-stream");
  auto pr = BERTH_TRY(impl_->send(put, scope), ctx);
  if (pr.status != 201) return fail(kind_for(pr.status), ctx + ": " + registry_error(pr));
  if (progress) progress(size, size);
  return {};
}

Result<Digest> RegistryClient::put_manifest(const std::string& repo, const std::string& reference,
                                            const std::string& bytes, const std::string& media_type) {
  std::string ctx = "put manifest " + impl_->domain + "/" + repo + ":" + reference;
  auto r = impl_->req("PUT", impl_->url("/v2/" + repo + "/manifests/" + reference));
  r.body = bytes;
  r.headers.push_back("Content-Type: " + media_type);
  auto resp = BERTH_TRY(impl_->send(r, push_scope(repo)), ctx);
  if (resp.status != 201) return fail(kind_for(resp.status), ctx + ": " + registry_error(resp));
  Digest mine = Digest::of(bytes);
  if (auto h = resp.header("docker-content-digest"); !h.empty()) {
    auto said = Digest::parse(h);
    if (said && *said != mine)
      return fail(ErrorKind::Invalid, ctx + ": registry reports " + said->str() + ", expected " + mine.str());
  }
  return mine;
}

}  // namespace berth::image
