// Answers in dockerd's shapes: JSON bodies, and errors as {"message": "..."} with the status
// that the error's kind maps to.
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "api/http.hpp"
#include "common/error.hpp"

namespace berth::api {

Result<> reply_json(Exchange& ex, int status, const nlohmann::json& body);
Result<> reply_error(Exchange& ex, const Error& err);
Result<> reply_error(Exchange& ex, int status, const std::string& message);
std::string error_body(const std::string& message);  // {"message":"..."}\n
// The request body as JSON; an empty body is `null`. Malformed JSON is a 400 naming the problem.
Result<nlohmann::json> read_json_body(Exchange& ex, size_t limit);

}  // namespace berth::api
