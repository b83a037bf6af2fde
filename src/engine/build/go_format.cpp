#include "engine/build/go_format.hpp"

#include <cstdio>

namespace berth::engine::build {

std::string go_quote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\a': out += "\\a"; continue;
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      case '\v': out += "\\v"; continue;
      default: break;
    }
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += char(c);  // printable ASCII and UTF-8 sequences, as Go keeps printable runes
    }
  }
  return out + "\"";
}

std::string go_quote_list(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? " " : "") + go_quote(v[i]);
  return out + "]";
}

std::string go_list(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? " " : "") + v[i];
  return out + "]";
}

std::string go_duration(std::chrono::nanoseconds d) {
  long long ns = d.count();
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  unsigned long long u = ns < 0 ? 0ull - static_cast<unsigned long long>(ns) : static_cast<unsigned long long>(ns);
  // Below a second: one unit with a fraction ("1.5ms"); otherwise h, m and fractional s.
  auto fraction = [](unsigned long long v, unsigned long long unit) {
    std::string s = std::to_string(v / unit);
    unsigned long long rest = v % unit;
    if (rest) {
      std::string digits = std::to_string(rest);
      digits.insert(0, std::to_string(unit).size() - 1 - digits.size(), '0');
      while (!digits.empty() && digits.back() == '0') digits.pop_back();
      s += "." + digits;
    }
    return s;
  };
  if (u < 1000ull) return sign + std::to_string(u) + "ns";
  if (u < 1000000ull) return sign + fraction(u, 1000ull) + "\xc2\xb5s";
  if (u < 1000000000ull) return sign + fraction(u, 1000000ull) + "ms";
  unsigned long long h = u / 3600000000000ull, rest = u % 3600000000000ull;
  unsigned long long m = rest / 60000000000ull, s_ns = rest % 60000000000ull;
  std::string out = sign;
  if (h) out += std::to_string(h) + "h";
  if (h || m) out += std::to_string(m) + "m";
  return out + fraction(s_ns, 1000000000ull) + "s";
}

}  // namespace berth::engine::build
