// Docker's word expansion (the rules of its shell lexer, not a shell): $VAR, ${VAR},
// ${VAR:-word} ${VAR-word} ${VAR:+word} ${VAR+word} ${VAR:?msg} ${VAR?msg}, the escape token
// (\ or `), 'single quotes' (literal) and "double quotes" (only $, " and the escape token are
// special). Quotes are removed. Words are split on blanks outside quotes, expansions included.
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace berth::engine::build {

using Vars = std::map<std::string, std::string, std::less<>>;

struct LexOptions {
  char escape = '\\';
  bool raw_quotes = false;   // keep the quote characters in the result
  bool raw_escapes = false;  // keep the escape tokens in the result
  bool skip_unset = false;   // leave references to unset variables as written
};

// One word: blanks are kept ("a $X b" -> "a 1 2 b").
Result<std::string> expand_word(std::string_view word, const Vars& env, const LexOptions& o = {});
// Split into words (ENV/LABEL/EXPOSE-style): `a "b c" $X` with X="1 2" -> a, b c, 1, 2.
Result<std::vector<std::string>> expand_words(std::string_view text, const Vars& env,
                                              const LexOptions& o = {});

}  // namespace berth::engine::build
