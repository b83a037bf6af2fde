#include "engine/build/go_duration.hpp"

#include <cctype>
#include <cmath>
#include <string>

namespace berth::engine::build {

Result<std::chrono::nanoseconds> parse_go_duration(std::string_view s) {
  const std::string quoted = "\"" + std::string(s) + "\"";
  auto invalid = [&] { return fail(ErrorKind::Invalid, "time: invalid duration " + quoted); };
  std::string_view rest = s;
  bool negative = false;
  if (!rest.empty() && (rest[0] == '-' || rest[0] == '+')) {
    negative = rest[0] == '-';
    rest.remove_prefix(1);
  }
  if (rest == "0") return std::chrono::nanoseconds(0);
  if (rest.empty()) return invalid();
  long double total = 0;
  while (!rest.empty()) {
    // A number: digits, optionally a fraction; at least one digit somewhere.
    size_t i = 0;
    std::string num;
    while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i]))) num += rest[i++];
    if (i < rest.size() && rest[i] == '.') {
      num += rest[i++];
      while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i]))) num += rest[i++];
    }
    if (num.empty() || num == ".") return invalid();
    size_t u = i;
    while (u < rest.size() && rest[u] != '.' && !std::isdigit(static_cast<unsigned char>(rest[u]))) ++u;
    std::string_view unit = rest.substr(i, u - i);
    if (unit.empty()) return fail(ErrorKind::Invalid, "time: missing unit in duration " + quoted);
    long double mul;
    if (unit == "ns") mul = 1;
    else if (unit == "us" || unit == "\xc2\xb5s" || unit == "\xce\xbcs") mul = 1e3;
    else if (unit == "ms") mul = 1e6;
    else if (unit == "s") mul = 1e9;
    else if (unit == "m") mul = 60e9;
    else if (unit == "h") mul = 3600e9;
    else return fail(ErrorKind::Invalid, "time: unknown unit \"" + std::string(unit) + "\" in duration " + quoted);
    total += std::stold(num[0] == '.' ? "0" + num : num) * mul;
    if (total > 9.2e18L) return invalid();
    rest.remove_prefix(u);
  }
  auto ns = static_cast<long long>(std::llround(total));
  return std::chrono::nanoseconds(negative ? -ns : ns);
}

}  // namespace berth::engine::build
