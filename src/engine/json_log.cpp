#include "engine/json_log.hpp"

#include <ctime>
#include <nlohmann/json.hpp>

namespace berth::engine {

std::string rfc3339_nano(std::chrono::system_clock::time_point t) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  time_t secs = static_cast<time_t>(ns / 1000000000);
  long frac = static_cast<long>(ns % 1000000000);
  if (frac < 0) {
    frac += 1000000000;
    --secs;
  }
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[64];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + n, sizeof buf - n, ".%09ldZ", frac);
  return buf;
}

std::string rfc3339_now() { return rfc3339_nano(std::chrono::system_clock::now()); }

std::string json_log_line(std::string_view stream, std::string_view data, std::string_view time) {
  nlohmann::json j = {{"log", std::string(data)}, {"stream", std::string(stream)}, {"time", std::string(time)}};
  // Invalid UTF-8 from a container is replaced, never a reason to lose the line.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::optional<LogEntry> parse_json_log_line(std::string_view line) {
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  auto str = [&](const char* k) -> std::optional<std::string> {
    auto it = j.find(k);
    if (it == j.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  auto log = str("log"), stream = str("stream"), time = str("time");
  if (!log || !stream || !time) return std::nullopt;
  return LogEntry{*stream, *log, *time};
}

}  // namespace berth::engine
