#include "duration.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

namespace berth::cli {

std::optional<int64_t> parse_go_duration(std::string_view s) {
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return 0;
  if (s.empty()) return std::nullopt;
  long double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    if (i == 0) return std::nullopt;
    std::string num(s.substr(0, i));
    if (num == "." || std::count(num.begin(), num.end(), '.') > 1) return std::nullopt;
    s.remove_prefix(i);
    size_t j = 0;
    while (j < s.size() && !std::isdigit(static_cast<unsigned char>(s[j])) && s[j] != '.') ++j;
    std::string_view unit = s.substr(0, j);
    s.remove_prefix(j);
    long double mult;
    if (unit == "ns") mult = 1;
    else if (unit == "us" || unit == "\u00b5s" || unit == "\u03bcs") mult = 1e3;
    else if (unit == "ms") mult = 1e6;
    else if (unit == "s") mult = 1e9;
    else if (unit == "m") mult = 60e9;
    else if (unit == "h") mult = 3600e9;
    else return std::nullopt;
    total += std::stold(num) * mult;
  }
  if (total > 9.2e18) return std::nullopt;
  auto ns = static_cast<int64_t>(std::llround(total));
  return neg ? -ns : ns;
}

}  // namespace berth::cli
