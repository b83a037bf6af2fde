// Process-wide logger. Text ("level=error msg=...") or runc-style JSON lines
// ({"level":"error","msg":"...","time":"..."}) that containerd and dockerd parse.
#pragma once
#include <string>
#include <string_view>

namespace berth::log {

enum class Level { Debug, Info, Warn, Error };
enum class Format { Text, Json };

// path empty -> stderr. Returns false when the file cannot be opened.
bool configure(const std::string& path, Format format, bool debug);
// Drops messages below level (a daemon's --log-level warn); debug still needs configure's flag.
void set_min_level(Level level);
void write(Level level, std::string_view msg);
inline void debug(std::string_view m) { write(Level::Debug, m); }
inline void info(std::string_view m) { write(Level::Info, m); }
inline void warn(std::string_view m) { write(Level::Warn, m); }
inline void error(std::string_view m) { write(Level::Error, m); }
// True when the logger writes somewhere other than stderr (so errors also go to stderr).
bool to_file();

}  // namespace berth::log
