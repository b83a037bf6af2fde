#include "engine/build/dockerignore.hpp"

#include <cctype>

namespace berth::engine::build {
namespace {

constexpr size_t kMaxPath = 8192;

std::string_view trim(std::string_view s) {
  auto sp = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!s.empty() && sp(s.front())) s.remove_prefix(1);
  while (!s.empty() && sp(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string clean_path(std::string_view p) {
  if (p.empty()) return ".";
  bool rooted = p[0] == '/';
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i <= p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    std::string_view part = p.substr(i, j - i);
    if (part.empty() || part == ".") {
      // skip
    } else if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(part);  // a relative path may climb; a rooted one stops at /
      }
    } else {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out = rooted ? "/" : "";
  for (size_t k = 0; k < parts.size(); ++k) {
    if (k) out += '/';
    out += parts[k];
  }
  return out.empty() ? "." : out;
}

Result<Dockerignore::Pattern> Dockerignore::compile(std::string_view p, bool exclusion) {
  Pattern pat{std::string(p), exclusion, {}};
  auto bad = [&] { return fail(ErrorKind::Invalid, "syntax error in pattern \"" + std::string(p) + "\""); };
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '*') {
      if (i + 1 < p.size() && p[i + 1] == '*') {
        ++i;
        if (i + 1 < p.size() && p[i + 1] == '/') ++i;  // "**/" is "**"
        pat.tokens.push_back({i + 1 == p.size() ? Token::AnyRest : Token::AnyDirs});
      } else {
        pat.tokens.push_back({Token::Star});
      }
    } else if (c == '?') {
      pat.tokens.push_back({Token::AnyChar});
    } else if (c == '\\') {
      pat.tokens.push_back({Token::Literal, i + 1 < p.size() ? p[++i] : '\\'});
    } else if (c == '[') {
      Token t{Token::Class};
      size_t j = i + 1;
      if (j < p.size() && p[j] == '^') {
        t.negated = true;
        ++j;
      }
      bool closed = false;
      bool first = true;
      while (j < p.size()) {
        if (p[j] == ']' && !first) {
          closed = true;
          break;
        }
        first = false;
        char lo = p[j] == '\\' && j + 1 < p.size() ? p[++j] : p[j];
        ++j;
        char hi = lo;
        if (j + 1 < p.size() && p[j] == '-' && p[j + 1] != ']') {
          hi = p[j + 1] == '\\' && j + 2 < p.size() ? p[j + 2] : p[j + 1];
          j += p[j + 1] == '\\' ? 3 : 2;
          if (hi < lo) return bad();
        }
        t.set += lo;
        t.set += hi;
      }
      if (!closed || t.set.empty()) return bad();
      pat.tokens.push_back(std::move(t));
      i = j;
    } else {
      pat.tokens.push_back({Token::Literal, c});
    }
  }
  return pat;
}

bool Dockerignore::Pattern::matches(std::string_view s) const {
  // No real path is longer (PATH_MAX is 4096); the bound keeps the memo and the stack small.
  if (s.size() > kMaxPath) return false;
  const size_t nt = tokens.size(), ns = s.size();
  // memo[t * (ns + 1) + i]: 0 unknown, 1 no, 2 yes. Keeps "*a*a*a*b" linear-ish.
  std::vector<uint8_t> memo((nt + 1) * (ns + 1), 0);
  auto rec = [&](auto&& self, size_t t, size_t i) -> bool {
    if (t == nt) return i == ns;
    uint8_t& m = memo[t * (ns + 1) + i];
    if (m) return m == 2;
    const Token& tok = tokens[t];
    bool r = false;
    switch (tok.kind) {
      case Token::Literal:
        r = i < ns && s[i] == tok.c && self(self, t + 1, i + 1);
        break;
      case Token::AnyChar:
        r = i < ns && s[i] != '/' && self(self, t + 1, i + 1);
        break;
      case Token::Class: {
        if (i < ns && s[i] != '/') {
          bool in = false;
          for (size_t k = 0; k + 1 < tok.set.size() && !in; k += 2) in = tok.set[k] <= s[i] && s[i] <= tok.set[k + 1];
          r = in != tok.negated && self(self, t + 1, i + 1);
        }
        break;
      }
      case Token::Star:
        for (size_t k = i; !r && k <= ns; ++k) {
          r = self(self, t + 1, k);
          if (k < ns && s[k] == '/') break;
        }
        break;
      case Token::AnyDirs:  // nothing, or anything that ends with "/"
        r = self(self, t + 1, i);
        for (size_t k = i + 1; !r && k <= ns; ++k) {
          if (s[k - 1] == '/') r = self(self, t + 1, k);
        }
        break;
      case Token::AnyRest:
        r = true;
        break;
    }
    m = r ? 2 : 1;
    return r;
  };
  return rec(rec, 0, 0);
}

Result<Dockerignore> Dockerignore::parse(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  Dockerignore d;
  int line_no = 0;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.starts_with('#')) continue;
    line = trim(line);
    if (line.empty()) continue;
    bool exclusion = line[0] == '!';
    if (exclusion) line = trim(line.substr(1));
    if (line.empty()) {
      return fail(ErrorKind::Invalid, ".dockerignore line " + std::to_string(line_no) +
                                          ": illegal exclusion pattern: \"!\"");
    }
    if (line.size() > kMaxPath) {
      return fail(ErrorKind::Invalid, ".dockerignore line " + std::to_string(line_no) + ": pattern longer than " +
                                          std::to_string(kMaxPath) + " bytes");
    }
    std::string cleaned = clean_path(line);
    if (cleaned.size() > 1 && cleaned[0] == '/') cleaned.erase(0, 1);
    auto pat = compile(cleaned, exclusion);
    if (!pat) return fail(pat.error().wrap(".dockerignore line " + std::to_string(line_no)));
    d.patterns_.push_back(std::move(*pat));
  }
  return d;
}

bool Dockerignore::excluded(std::string_view path) const {
  std::string file = clean_path(path);
  bool matched = false;
  for (const auto& p : patterns_) {
    // An exclusion only matters once something matched, an inclusion only before.
    if (p.exclusion != matched) continue;
    bool m = p.matches(file);
    // A pattern matching a parent directory matches what is below it.
    for (size_t slash = file.find('/'); !m && slash != std::string::npos; slash = file.find('/', slash + 1)) {
      m = p.matches(std::string_view(file).substr(0, slash));
    }
    if (m) matched = !p.exclusion;
  }
  return matched;
}

bool Dockerignore::must_walk_excluded_dir(std::string_view dir) const {
  std::string prefix = clean_path(dir) + "/";
  for (const auto& p : patterns_) {
    if (p.exclusion && (p.text + "/").starts_with(prefix)) return true;
  }
  return false;
}

void Dockerignore::keep_build_files(std::string_view dockerfile) {
  for (std::string f : {std::string(".dockerignore"), clean_path(dockerfile)}) {
    if (excluded(f)) patterns_.push_back(*compile(f, true));
  }
}

std::vector<std::string> Dockerignore::build_files_to_remove(std::string_view dockerfile) const {
  std::vector<std::string> out;
  for (std::string f : {std::string(".dockerignore"), clean_path(dockerfile)}) {
    if (excluded(f)) out.push_back(f);
  }
  return out;
}

std::vector<std::string> Dockerignore::patterns() const {
  std::vector<std::string> out;
  for (auto& p : patterns_) out.push_back((p.exclusion ? "!" : "") + p.text);
  return out;
}

}  // namespace berth::engine::build
