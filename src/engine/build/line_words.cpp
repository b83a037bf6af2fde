#include "engine/build/line_words.hpp"

#include <nlohmann/json.hpp>

#include "engine/build/parse_error.hpp"

namespace berth::engine::build {
bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

// Splits on runs of blanks (Docker's [\t\v\f\r ]+); n > 0 limits the number of pieces.
std::vector<std::string> split_blanks(std::string_view s, size_t n) {
  std::vector<std::string> out;
  size_t i = 0;
  while (true) {
    if (n && out.size() + 1 == n) {
      out.emplace_back(s.substr(i));
      break;
    }
    size_t j = i;
    while (j < s.size() && !is_blank(s[j])) ++j;
    out.emplace_back(s.substr(i, j - i));
    if (j >= s.size()) break;
    while (j < s.size() && is_blank(s[j])) ++j;
    i = j;
  }
  return out;
}

// The leading --flag words of the arguments (quotes and backslashes inside them resolved);
// returns them and the rest of the line. A lone "--" ends the flags.
std::pair<std::vector<std::string>, std::string_view> extract_flags(std::string_view line) {
  std::vector<std::string> flags;
  size_t pos = 0;
  while (true) {
    while (pos < line.size() && is_blank(line[pos])) ++pos;
    if (pos + 1 >= line.size() || line[pos] != '-' || line[pos + 1] != '-') return {flags, line.substr(pos)};
    std::string word;
    char quote = 0;
    bool blank_ok = false;
    for (; pos < line.size(); ++pos) {
      char c = line[pos];
      if (quote) {
        if (c == quote) {
          quote = 0;
          continue;
        }
      } else {
        if (is_blank(c)) break;
        if (c == '\'' || c == '"') {
          quote = c;
          blank_ok = true;
          continue;
        }
      }
      if (c == '\\') {
        if (pos + 1 == line.size()) continue;
        c = line[++pos];
      }
      word += c;
    }
    if (word == "--") return {flags, line.substr(pos)};
    if (blank_ok || !word.empty()) flags.push_back(std::move(word));
    if (pos >= line.size()) return {flags, std::string_view()};
  }
}

// Docker's parseWords: blank-separated words, quotes kept (removed later by expansion).
// Outside quotes the escape token keeps the next character with it, even a quote.
std::vector<std::string> parse_words(std::string_view rest, char escape) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false, blank_ok = false;
  char quote = 0;
  for (size_t pos = 0; pos < rest.size(); ++pos) {
    char c = rest[pos];
    if (!in_word) {
      if (is_blank(c)) continue;
      in_word = true;
    }
    if (!quote) {
      if (is_blank(c)) {
        if (blank_ok || !word.empty()) words.push_back(word);
        word.clear();
        in_word = blank_ok = false;
        continue;
      }
      if (c == '\'' || c == '"') {
        quote = c;
        blank_ok = true;
      } else if (c == escape) {
        if (pos + 1 == rest.size()) continue;
        word += c;
        c = rest[++pos];
      }
      word += c;
      continue;
    }
    if (c == quote) {
      quote = 0;
    } else if (c == escape && quote != '\'') {
      if (pos + 1 == rest.size()) continue;
      word += c;
      c = rest[++pos];
    }
    word += c;
  }
  if (in_word && (blank_ok || !word.empty())) words.push_back(word);
  return words;
}

// A JSON array of strings, if rest is one. Anything that is not valid JSON falls back to the
// shell form (nullopt); a valid array holding something other than strings is an error.
Result<std::optional<std::vector<std::string>>> parse_json_array(std::string_view rest) {
  rest = trim_blanks(rest);
  if (rest.empty() || rest[0] != '[') return std::nullopt;
  auto j = nlohmann::json::parse(rest, nullptr, false);
  if (j.is_discarded() || !j.is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (auto& e : j) {
    if (!e.is_string()) return fail(bad("when using JSON array syntax, arrays must be comprised of strings only"));
    out.push_back(e.get<std::string>());
  }
  return out;
}

SplitLine split_command(std::string_view line) {
  auto parts = split_blanks(trim_blanks(line), 2);
  SplitLine s{parts[0], {}, ""};
  if (parts.size() == 2) {
    auto [flags, rest] = extract_flags(parts[1]);
    s.flags = std::move(flags);
    s.args = std::string(trim_blanks(rest));
  }
  return s;
}

}  // namespace berth::engine::build
