// .dockerignore: which context paths are left out of the build context. Docker's rules:
// `#` comment lines and blank lines skipped, each pattern cleaned (a leading "/" or "./"
// dropped), filepath.Match globs (* ? [a-z] \x) plus "**" for any number of directories, "!"
// for exceptions, the last matching pattern wins, and a pattern that matches a directory
// matches everything below it.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace berth::engine::build {

class Dockerignore {
 public:
  Dockerignore() = default;
  // The file's text. Errors name the line: .dockerignore line 3: syntax error in pattern "[a".
  static Result<Dockerignore> parse(std::string_view text);

  // path is relative to the context root, "/"-separated ("src/a.c").
  bool excluded(std::string_view path) const;
  // A walker that met an excluded directory must still enter it when an exception pattern
  // could bring back something below it ("!dir/keep" with "dir" excluded).
  bool must_walk_excluded_dir(std::string_view dir) const;

  // The client always sends the Dockerfile and .dockerignore: exceptions for them are added
  // when a pattern excludes them.
  void keep_build_files(std::string_view dockerfile);
  // dockerd reads them from the context, then drops them from it when the .dockerignore
  // excludes them (so COPY cannot see them): the ones to drop.
  std::vector<std::string> build_files_to_remove(std::string_view dockerfile) const;

  bool empty() const { return patterns_.empty(); }
  std::vector<std::string> patterns() const;  // as cleaned, "!" kept

 private:
  struct Token;
  struct Pattern {
    std::string text;  // cleaned, without "!"
    bool exclusion = false;
    std::vector<Token> tokens;
    bool matches(std::string_view path) const;
  };
  static Result<Pattern> compile(std::string_view cleaned, bool exclusion);
  std::vector<Pattern> patterns_;
};

struct Dockerignore::Token {
  enum Kind { Literal, Star, AnyChar, Class, AnyDirs, AnyRest };
  Token(Kind k, char ch = 0) : kind(k), c(ch) {}
  Kind kind;
  char c = 0;
  std::string set;  // Class: the ranges, as pairs lo,hi
  bool negated = false;
};

// Go's filepath.Clean on a "/"-separated path: "a//b/./c/.." -> "a/b", "" -> ".".
std::string clean_path(std::string_view p);

}  // namespace berth::engine::build
