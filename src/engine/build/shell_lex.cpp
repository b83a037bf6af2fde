#include "engine/build/shell_lex.hpp"

#include <cctype>

#include "engine/build/line_words.hpp"

namespace berth::engine::build {
namespace {

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool is_special_param(char c) {
  return c == '@' || c == '*' || c == '#' || c == '?' || c == '-' || c == '$' || c == '!' || c == '0';
}

// Collects words: characters from expansions split on blanks, quoted text never does.
class Words {
 public:
  void add_char(char c) {
    if (is_blank(c)) {
      if (in_word_ && !word_.empty()) flush();
    } else {
      add_raw_char(c);
    }
  }
  void add_raw_char(char c) {
    word_ += c;
    in_word_ = true;
  }
  void add_string(std::string_view s) {
    for (char c : s) add_char(c);
  }
  void add_raw_string(std::string_view s) {
    word_ += s;
    in_word_ = true;
  }
  std::vector<std::string> take() {
    if (!word_.empty()) flush();
    return std::move(words_);
  }

 private:
  void flush() {
    words_.push_back(std::move(word_));
    word_.clear();
    in_word_ = false;
  }
  std::vector<std::string> words_;
  std::string word_;
  bool in_word_ = false;
};

Error lex_error(std::string msg) { return make_error(ErrorKind::Invalid, std::move(msg)); }

class Lexer {
 public:
  Lexer(std::string_view in, const Vars& env, const LexOptions& o) : in_(in), env_(env), o_(o) {}

  // Reads up to stop (consumed) or the end when stop is 0.
  Result<std::pair<std::string, std::vector<std::string>>> process_until(char stop) {
    std::string result;
    Words words;
    while (!eof()) {
      char c = peek();
      if (stop && c == stop) {
        ++pos_;
        return std::pair{std::move(result), words.take()};
      }
      if (c == '\'' || c == '"' || c == '$') {
        auto part = c == '\'' ? single_quote() : c == '"' ? double_quote() : dollar();
        if (!part) return std::unexpected(part.error());
        result += *part;
        if (c == '$') {
          words.add_string(*part);
        } else {
          words.add_raw_string(*part);
        }
        continue;
      }
      ++pos_;
      if (c == o_.escape) {
        if (o_.raw_escapes) {
          words.add_raw_char(c);
          result += c;
        }
        if (eof()) break;  // an escape at the end is dropped
        c = in_[pos_++];
        words.add_raw_char(c);
      } else {
        words.add_char(c);
      }
      result += c;
    }
    if (stop) return fail(lex_error(std::string("unexpected end of statement while looking for matching ") + stop));
    return std::pair{std::move(result), words.take()};
  }

 private:
  bool eof() const { return pos_ >= in_.size(); }
  char peek() const { return in_[pos_]; }

  // Everything up to the next ' is literal; nothing escapes inside.
  Result<std::string> single_quote() {
    std::string out;
    if (o_.raw_quotes) out += '\'';
    ++pos_;
    while (!eof()) {
      char c = in_[pos_++];
      if (c == '\'') {
        if (o_.raw_quotes) out += '\'';
        return out;
      }
      out += c;
    }
    return fail(lex_error("unexpected end of statement while looking for matching single-quote"));
  }

  // $ expands; the escape token escapes only ", $ and itself, and is kept before anything else.
  Result<std::string> double_quote() {
    std::string out;
    if (o_.raw_quotes) out += '"';
    ++pos_;
    while (!eof()) {
      char c = peek();
      if (c == '"') {
        ++pos_;
        if (o_.raw_quotes) out += '"';
        return out;
      }
      if (c == '$') {
        auto v = dollar();
        if (!v) return v;
        out += *v;
        continue;
      }
      ++pos_;
      if (c == o_.escape) {
        if (o_.raw_escapes) out += c;
        if (eof()) continue;
        char n = peek();
        if (n == '"' || n == '$' || n == o_.escape) {
          c = n;
          ++pos_;
        }
      }
      out += c;
    }
    return fail(lex_error("unexpected end of statement while looking for matching double-quote"));
  }

  std::string name() {
    std::string n;
    if (eof()) return n;
    if (std::isdigit(static_cast<unsigned char>(peek()))) {  // $1, $12: positional, never set
      while (!eof() && std::isdigit(static_cast<unsigned char>(peek()))) n += in_[pos_++];
      return n;
    }
    if (is_special_param(peek())) return std::string(1, in_[pos_++]);
    while (!eof() && is_name_char(peek())) n += in_[pos_++];
    return n;
  }

  std::optional<std::string> lookup(const std::string& n) const {
    auto it = env_.find(n);
    if (it == env_.end()) return std::nullopt;
    return it->second;
  }

  Result<std::string> dollar() {
    ++pos_;  // the $
    if (eof() || peek() != '{') {
      std::string n = name();
      if (n.empty()) return std::string("$");
      auto v = lookup(n);
      if (!v && o_.skip_unset) return "$" + n;
      return v.value_or("");
    }
    ++pos_;  // the {
    if (eof()) return fail(lex_error("syntax error: missing '}'"));
    if (peek() == '{' || peek() == '}' || peek() == ':') return fail(lex_error("syntax error: bad substitution"));
    std::string n = name();
    if (eof()) return fail(lex_error("syntax error: missing '}'"));
    char op = in_[pos_++];
    if (op == '}') {
      auto v = lookup(n);
      if (!v && o_.skip_unset) return "${" + n + "}";
      return v.value_or("");
    }
    bool colon = op == ':';
    if (colon) {
      if (eof()) return fail(lex_error("syntax error: missing '}'"));
      op = in_[pos_++];
    }
    if (op != '-' && op != '+' && op != '?') {
      return fail(lex_error(std::string("unsupported modifier (") + op + ") in substitution"));
    }
    // The word may itself hold quotes and expansions, nested: bounded, as the stack is.
    if (++depth_ > kMaxDepth) return fail(lex_error("syntax error: substitutions nested too deeply"));
    auto word = process_until('}');
    --depth_;
    if (!word) {
      if (eof()) return fail(lex_error("syntax error: missing '}'"));
      return std::unexpected(word.error());
    }
    const std::string& w = word->first;
    auto v = lookup(n);
    if (!v && o_.skip_unset) return "${" + n + (colon ? ":" : "") + op + w + "}";
    // With the colon, an empty value counts as unset.
    bool set = v && (!colon || !v->empty());
    switch (op) {
      case '-':
        return set ? *v : w;
      case '+':
        return set ? w : std::string();
      default:  // '?'
        if (set) return *v;
        if (!w.empty()) return fail(lex_error(n + ": " + w));
        return fail(lex_error(n + (v ? ": is not allowed to be empty" : ": is not allowed to be unset")));
    }
  }

  static constexpr int kMaxDepth = 256;
  std::string_view in_;
  size_t pos_ = 0;
  int depth_ = 0;
  const Vars& env_;
  const LexOptions& o_;
};

}  // namespace

Result<std::string> expand_word(std::string_view word, const Vars& env, const LexOptions& o) {
  auto r = Lexer(word, env, o).process_until(0);
  if (!r) return std::unexpected(r.error());
  return std::move(r->first);
}

Result<std::vector<std::string>> expand_words(std::string_view text, const Vars& env, const LexOptions& o) {
  auto r = Lexer(text, env, o).process_until(0);
  if (!r) return std::unexpected(r.error());
  return std::move(r->second);
}

}  // namespace berth::engine::build
