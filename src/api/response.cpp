#include "api/response.hpp"

#include <nlohmann/json.hpp>

#include "common/fs.hpp"
#include "common/json_util.hpp"

namespace berth::api {

Result<> reply_json(Exchange& ex, int status, const nlohmann::json& body) {
  return ex.reply(status, "application/json", body.dump() + "\n");
}

std::string error_body(const std::string& message) { return nlohmann::json{{"message", message}}.dump() + "\n"; }

Result<> reply_error(Exchange& ex, int status, const std::string& message) {
  return ex.reply(status, "application/json", error_body(message));
}

Result<> reply_error(Exchange& ex, const Error& err) { return reply_error(ex, err.http_status(), err.what()); }

Result<nlohmann::json> read_json_body(Exchange& ex, size_t limit) {
  auto body = BERTH_TRY(ex.read_body(limit), "");
  if (trim(body).empty()) return nlohmann::json();
  auto j = parse_json(body, "request body");
  if (!j) return fail(ErrorKind::Invalid, j.error().message);
  return std::move(*j);
}

}  // namespace berth::api
