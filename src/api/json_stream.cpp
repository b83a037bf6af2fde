#include "api/json_stream.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "api/response.hpp"

namespace berth::api {

std::string human_size(double bytes) {
  static const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  int u = 0;
  while (bytes >= 1000 && u < 5) {
    bytes /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f%s" : "%.3g%s", bytes, units[u]);
  return buf;
}

std::string progress_bar(uint64_t current, uint64_t total) {
  if (total == 0) return human_size(static_cast<double>(current));
  constexpr int width = 50;
  // As docker's jsonmessage draws it: n '=' then '>' then 50-n spaces.
  int filled = static_cast<int>(width * std::min<double>(1.0, static_cast<double>(current) / total));
  std::string bar = "[" + std::string(filled, '=') + ">" + std::string(width - filled, ' ') + "] ";
  return bar + human_size(static_cast<double>(current)) + "/" + human_size(static_cast<double>(total));
}

bool JsonStream::send(const nlohmann::json& msg) {
  std::lock_guard lk(mu_);
  if (broken_) return false;
  if (!started_) {
    started_ = true;
    if (!ex_.start_stream(200, "application/json")) return !(broken_ = true);
  }
  if (!ex_.write(msg.dump() + "\r\n")) broken_ = true;
  return !broken_;
}

bool JsonStream::status(const std::string& status, const std::string& id) {
  nlohmann::json m = {{"status", status}};
  if (!id.empty()) m["id"] = id;
  return send(m);
}

bool JsonStream::progress(const std::string& id, const std::string& status, uint64_t current, uint64_t total) {
  nlohmann::json detail = nlohmann::json::object();
  nlohmann::json m = {{"status", status}, {"id", id}};
  if (total > 0 || current > 0) {
    detail = {{"current", current}, {"total", total}};
    m["progress"] = progress_bar(current, total);
  }
  m["progressDetail"] = detail;
  return send(m);
}

Result<> JsonStream::finish(const Result<>& outcome) {
  if (outcome) {
    if (!started_) return ex_.reply(200, "application/json", "");
    return ex_.finish_stream();
  }
  if (!started_) return reply_error(ex_, outcome.error());
  std::string m = outcome.error().what();
  send({{"errorDetail", {{"message", m}}}, {"error", m}});
  return ex_.finish_stream();
}

}  // namespace berth::api
