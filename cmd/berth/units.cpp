#include "units.hpp"

#include <ctime>

#include "api/json_stream.hpp"

namespace berth::cli {

std::string human_size(int64_t bytes) { return api::human_size(static_cast<double>(bytes)); }

std::string time_ago(int64_t unix_seconds) {
  int64_t s = std::time(nullptr) - unix_seconds;
  auto n = [](int64_t v, const char* unit) { return std::to_string(v) + " " + unit + (v == 1 ? "" : "s"); };
  std::string d;
  int64_t h = s / 3600;
  if (s < 1) d = "Less than a second";
  else if (s < 60) d = n(s, "second");
  else if (s / 60 == 1) d = "About a minute";
  else if (s < 3600) d = n(s / 60, "minute");
  else if (h == 1) d = "About an hour";
  else if (h < 48) d = n(h, "hour");
  else if (h < 24 * 7 * 2) d = n(h / 24, "day");
  else if (h < 24 * 30 * 2) d = n(h / 24 / 7, "week");
  else if (h < 24 * 365 * 2) d = n(h / 24 / 30, "month");
  else d = n(h / 24 / 365, "year");
  return d + " ago";
}

std::string go_time(int64_t unix_seconds) {
  std::time_t t = unix_seconds;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
  return buf;
}

}  // namespace berth::cli
