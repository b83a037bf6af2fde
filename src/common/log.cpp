#include "common/log.hpp"

#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

#include <ctime>
#include <nlohmann/json.hpp>

namespace berth::log {
namespace {
int g_fd = 2;
Format g_format = Format::Text;
bool g_debug = false;
Level g_min = Level::Debug;

const char* level_name(Level l) {
  switch (l) {
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warn: return "warning";
    case Level::Error: return "error";
  }
  return "info";
}

std::string timestamp() {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  struct tm tm;
  gmtime_r(&tv.tv_sec, &tm);
  char buf[64];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + n, sizeof buf - n, ".%06ldZ", static_cast<long>(tv.tv_usec));
  return buf;
}
}  // namespace

bool configure(const std::string& path, Format format, bool debug) {
  g_format = format;
  g_debug = debug;
  if (path.empty()) return true;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  g_fd = fd;
  return true;
}

bool to_file() { return g_fd != 2; }

void set_min_level(Level level) { g_min = level; }

void write(Level level, std::string_view msg) {
  if ((level == Level::Debug && !g_debug) || level < g_min) return;
  std::string line;
  if (g_format == Format::Json) {
    nlohmann::json j{{"level", level_name(level)}, {"msg", msg}, {"time", timestamp()}};
    line = j.dump() + "\n";
  } else {
    line = "time=\"" + timestamp() + "\" level=" + level_name(level) + " msg=\"" + std::string(msg) + "\"\n";
  }
  (void)!::write(g_fd, line.data(), line.size());
}

}  // namespace berth::log
