// A small blocking HTTP client over libcurl for the registry client. One request per call;
// response bodies can stream into a sink. Curl types stay in http.cpp.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace berth::image::http {

struct Request {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // sent when body_fd < 0
  int body_fd = -1;                  // stream the request body from here (body_size bytes)
  uint64_t body_size = 0;
  bool follow_redirects = true;
  std::string ca_file;
  bool tls_verify = true;
  // Receives a 2xx response body as it arrives; returning an error aborts the transfer.
  std::function<Result<>(std::string_view)> sink;
  // Called as the response body arrives (bytes so far, total or 0).
  std::function<void(uint64_t, uint64_t)> progress;
};

struct Response {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names; last value wins
  std::string body;                            // non-2xx bodies, or all when there is no sink
  std::string header(const std::string& lower) const {
    auto it = headers.find(lower);
    return it == headers.end() ? "" : it->second;
  }
};

Result<Response> perform(const Request& req);
std::string url_escape(std::string_view s);
std::string base64_encode(std::string_view s);
Result<std::string> base64_decode(std::string_view s);

}  // namespace berth::image::http
