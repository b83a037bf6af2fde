// How a Dockerfile line splits, as Docker splits it: the command word, the leading --flags,
// and the arguments as blank-separated words (quotes kept), name=value words, or a JSON array.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.hpp"

namespace berth::engine::build {

bool is_blank(char c);  // Go's unicode.IsSpace for ASCII
std::string_view trim_blanks(std::string_view s);

// Splits on runs of blanks; n > 0 limits the number of pieces (the last holds the rest).
std::vector<std::string> split_blanks(std::string_view s, size_t n = 0);

// The leading --flag words (quotes and backslashes in them resolved) and the rest of the line.
// A lone "--" ends the flags.
std::pair<std::vector<std::string>, std::string_view> extract_flags(std::string_view line);

// Blank-separated words, quotes kept (expansion removes them later); outside quotes the escape
// token keeps the next character with it, even a quote.
std::vector<std::string> parse_words(std::string_view rest, char escape);

// A JSON array of strings, if rest is one. Anything that is not valid JSON is nullopt (the
// shell form); a valid array holding something other than strings is an error.
Result<std::optional<std::vector<std::string>>> parse_json_array(std::string_view rest);

// A line once split: command word, flags, the rest (trimmed).
struct SplitLine {
  std::string word;
  std::vector<std::string> flags;
  std::string args;
};
SplitLine split_command(std::string_view line);

}  // namespace berth::engine::build
