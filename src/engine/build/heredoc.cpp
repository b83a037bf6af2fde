#include "engine/build/heredoc.hpp"

#include <algorithm>
#include <cctype>

#include "engine/build/shell_lex.hpp"

namespace berth::engine::build {

Result<std::optional<Heredoc>> parse_heredoc_word(std::string_view word) {
  // ^(\d*)<<(-?)([^<]*)$
  size_t i = 0;
  while (i < word.size() && std::isdigit(static_cast<unsigned char>(word[i]))) ++i;
  std::string_view digits = word.substr(0, i);
  if (word.substr(i, 2) != "<<") return std::nullopt;
  i += 2;
  bool chomp = i < word.size() && word[i] == '-';
  if (chomp) ++i;
  std::string_view rest = word.substr(i);
  if (rest.empty() || rest.find('<') != std::string_view::npos) return std::nullopt;
  if (digits.size() > 9) return std::nullopt;

  // Lexed with and without its quotes: if quotes went away, part of the delimiter was quoted.
  LexOptions plain{.skip_unset = true};
  auto words = expand_words(rest, {}, plain);
  if (!words) return std::unexpected(words.error());
  if (words->size() != 1) return std::nullopt;
  LexOptions raw{.raw_quotes = true, .skip_unset = true};
  auto raw_words = expand_words(rest, {}, raw);
  if (!raw_words) return std::unexpected(raw_words.error());
  auto quotes = [](const std::string& s) { return std::count(s.begin(), s.end(), '\'') + std::count(s.begin(), s.end(), '"'); };

  Heredoc h;
  h.name = (*words)[0];
  h.expand = quotes((*words)[0]) == quotes((*raw_words)[0]);
  h.chomp = chomp;
  h.fd = digits.empty() ? 0 : std::stoi(std::string(digits));
  return h;
}

Result<std::vector<Heredoc>> heredocs_in_line(std::string_view line) {
  // Words as the shell would see them, quotes and escapes kept. A line that does not lex
  // (an unbalanced quote) opens no heredoc, as in Docker.
  LexOptions raw{.raw_quotes = true, .raw_escapes = true, .skip_unset = true};
  auto words = expand_words(line, {}, raw);
  std::vector<Heredoc> docs;
  if (!words) return docs;
  for (const auto& w : *words) {
    auto h = parse_heredoc_word(w);
    if (!h) return std::unexpected(h.error());
    if (*h) docs.push_back(std::move(**h));
  }
  return docs;
}

std::string chomp_heredoc(std::string_view content) {
  std::string out;
  bool line_start = true;
  for (char c : content) {
    if (line_start && c == '\t') continue;
    line_start = c == '\n';
    out += c;
  }
  return out;
}

}  // namespace berth::engine::build
