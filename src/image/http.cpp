#include "image/http.hpp"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>

namespace berth::image::http {

namespace {

std::once_flag curl_once;

struct Ctx {
  const Request* req;
  Response* resp;
  CURL* curl;
  Error sink_error;
  bool sink_failed = false;
  uint64_t received = 0;
  uint64_t total = 0;
  bool first_body = true;
  bool to_sink = false;
  uint64_t body_left = 0;  // request body bytes still to send from body_fd
};

size_t on_header(char* buf, size_t size, size_t n, void* ud) {
  auto* c = static_cast<Ctx*>(ud);
  std::string line(buf, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    c->resp->headers.clear();  // a new response (after a redirect or 100-continue)
    c->first_body = true;
    return size * n;
  }
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string k = line.substr(0, colon);
    std::transform(k.begin(), k.end(), k.begin(), [](unsigned char ch) { return std::tolower(ch); });
    std::string v = line.substr(colon + 1);
    auto b = v.find_first_not_of(" \t");
    auto e = v.find_last_not_of(" \t\r\n");
    v = b == std::string::npos ? "" : v.substr(b, e - b + 1);
    c->resp->headers[k] = v;
  }
  return size * n;
}

size_t on_body(char* buf, size_t size, size_t n, void* ud) {
  auto* c = static_cast<Ctx*>(ud);
  size_t len = size * n;
  if (c->first_body) {
    c->first_body = false;
    long code = 0;
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &code);
    c->to_sink = c->req->sink && code >= 200 && code < 300;
    auto cl = c->resp->header("content-length");
    c->total = cl.empty() ? 0 : std::strtoull(cl.c_str(), nullptr, 10);
  }
  if (c->to_sink) {
    auto r = c->req->sink(std::string_view(buf, len));
    if (!r) {
      c->sink_failed = true;
      c->sink_error = r.error();
      return 0;  // aborts the transfer
    }
    c->received += len;
    if (c->req->progress) c->req->progress(c->received, c->total);
  } else if (c->resp->body.size() < (16u << 20)) {
    c->resp->body.append(buf, len);
  }
  return len;
}

size_t on_read(char* buf, size_t size, size_t n, void* ud) {
  auto* c = static_cast<Ctx*>(ud);
  // Never read past this request's part of the file: chunked uploads share one fd.
  size_t want = static_cast<size_t>(std::min<uint64_t>(size * n, c->body_left));
  if (want == 0) return 0;
  ssize_t k;
  do {
    k = ::read(c->req->body_fd, buf, want);
  } while (k < 0 && errno == EINTR);
  if (k < 0) return CURL_READFUNC_ABORT;
  c->body_left -= static_cast<uint64_t>(k);
  return static_cast<size_t>(k);
}

}  // namespace

Result<Response> perform(const Request& req) {
  std::call_once(curl_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CURL* curl = curl_easy_init();
  if (!curl) return fail(ErrorKind::Internal, "curl_easy_init failed");
  Response resp;
  Ctx ctx{&req, &resp, curl, {}, false, 0, 0, true, false, req.body_size};
  curl_slist* hdrs = nullptr;
  for (auto& h : req.headers) hdrs = curl_slist_append(hdrs, h.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &ctx);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &ctx);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, req.follow_redirects ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
  // A stalled transfer (under 1 byte/s for 60 s) fails instead of hanging the pull.
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "berth/0.1");
  curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 512L * 1024);  // fewer, larger writes into the store
  if (!req.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, req.ca_file.c_str());
  if (!req.tls_verify) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (req.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (req.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    if (req.body_fd >= 0) {
      curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt(curl, CURLOPT_READDATA, &ctx);
      curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(req.body_size));
    } else {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req.body.data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
    }
  }
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp.status);
  curl_slist_free_all(hdrs);
  curl_easy_cleanup(curl);
  if (ctx.sink_failed) return fail(ctx.sink_error);
  if (rc != CURLE_OK)
    return fail(ErrorKind::Unavailable, req.method + " " + req.url + ": " + curl_easy_strerror(rc));
  return resp;
}

std::string url_escape(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string base64_encode(std::string_view s) {
  std::string out(4 * ((s.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<std::string> base64_decode(std::string_view s) {
  std::string in(s);
  in.erase(std::remove_if(in.begin(), in.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); }),
           in.end());
  if (in.size() % 4 != 0) return fail(ErrorKind::Invalid, "invalid base64");
  std::string out(in.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return fail(ErrorKind::Invalid, "invalid base64");
  size_t pad = 0;
  if (!in.empty() && in.back() == '=') ++pad;
  if (in.size() > 1 && in[in.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

}  // namespace berth::image::http
