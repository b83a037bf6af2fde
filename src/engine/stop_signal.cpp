#include "engine/stop_signal.hpp"

#include <signal.h>

#include <nlohmann/json.hpp>

#include "common/process.hpp"

namespace berth::engine {

Result<int> parse_api_signal(std::string_view s) {
  auto n = parse_signal(s);
  if (!n) return fail(ErrorKind::Invalid, "Invalid signal: " + std::string(s));
  return n;
}

Result<int> container_stop_signal(const nlohmann::json& config) {
  auto it = config.is_object() ? config.find("StopSignal") : config.end();
  if (!config.is_object() || it == config.end() || !it->is_string() || it->get<std::string>().empty()) return SIGTERM;
  return parse_api_signal(it->get<std::string>());
}

int container_stop_timeout(const nlohmann::json& config) {
  auto it = config.is_object() ? config.find("StopTimeout") : config.end();
  if (!config.is_object() || it == config.end() || !it->is_number_integer()) return kDefaultStopTimeout;
  return it->get<int>();
}

}  // namespace berth::engine
