#include "env_file.hpp"

#include <cstdlib>

#include "common/fs.hpp"

namespace berth::cli {

std::vector<std::string> parse_env_file(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string line(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    line.erase(0, first);
    if (line.find('=') != std::string::npos) {
      out.push_back(line);
    } else if (const char* v = std::getenv(line.c_str())) {
      out.push_back(line + "=" + v);
    }
  }
  return out;
}

Result<std::vector<std::string>> read_env_file(const std::string& path) {
  auto text = BERTH_TRY(read_file(path), "");
  return parse_env_file(text);
}

}  // namespace berth::cli
