#include "engine/cri_log.hpp"

namespace berth::engine {

std::string rfc3339_nano_trimmed(std::chrono::system_clock::time_point t) {
  std::string s = rfc3339_nano(t);  // "...:SS.nnnnnnnnnZ"
  s.pop_back();
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s + "Z";
}

std::string cri_log_record(std::string_view time, std::string_view stream, CriTag tag, std::string_view piece) {
  std::string rec;
  rec.reserve(time.size() + stream.size() + piece.size() + 5);
  rec.append(time).append(" ").append(stream).append(tag == CriTag::Full ? " F " : " P ").append(piece);
  rec.push_back('\n');
  return rec;
}

std::string cri_log_record_of(std::string_view time, std::string_view stream, std::string_view line) {
  // containerd reads lines with Go's ReadLine, which takes "\r\n" (a TTY's) off whole.
  if (line.ends_with("\r\n")) return cri_log_record(time, stream, CriTag::Full, line.substr(0, line.size() - 2));
  if (line.ends_with('\n')) return cri_log_record(time, stream, CriTag::Full, line.substr(0, line.size() - 1));
  return cri_log_record(time, stream, CriTag::Partial, line);
}

std::optional<LogEntry> parse_cri_log_line(std::string_view line) {
  auto field = [&]() -> std::optional<std::string_view> {
    auto sp = line.find(' ');
    if (sp == std::string_view::npos) return std::nullopt;
    auto f = line.substr(0, sp);
    line.remove_prefix(sp + 1);
    return f;
  };
  auto time = field(), stream = field(), tag = field();
  if (!time || !stream || !tag || time->empty()) return std::nullopt;
  if (*stream != "stdout" && *stream != "stderr") return std::nullopt;
  // The kubelet reads only the first of ':'-separated tags: later ones are for the future.
  auto first = tag->substr(0, tag->find(':'));
  if (first != "F" && first != "P") return std::nullopt;
  LogEntry e{std::string(*stream), std::string(line), std::string(*time)};
  if (first == "F") e.log.push_back('\n');
  return e;
}

}  // namespace berth::engine
