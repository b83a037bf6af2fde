#include "restart_flag.hpp"

#include <stdexcept>

namespace berth::cli {

Result<nlohmann::json> parse_restart_flag(const std::string& flag) {
  auto colon = flag.find(':');
  std::string name = flag.substr(0, colon);
  int count = 0;
  if (colon != std::string::npos) {
    if (name.empty()) return fail(ErrorKind::Invalid, "invalid restart policy format: no policy provided before colon");
    try {
      size_t used = 0;
      std::string n = flag.substr(colon + 1);
      count = std::stoi(n, &used);
      if (used != n.size()) throw std::invalid_argument(n);
    } catch (...) {
      return fail(ErrorKind::Invalid, "invalid restart policy format: maximum retry count must be an integer");
    }
  }
  return nlohmann::json{{"Name", name}, {"MaximumRetryCount", count}};
}

}  // namespace berth::cli
