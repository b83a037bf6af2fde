// The --flags an instruction accepts, read as BuildKit's BFlags reads them: --name=value for
// strings (repeatable for lists), --name or --name=true|false for booleans; unknown,
// duplicate and value-less flags are errors ("unknown flag: foo").
#pragma once
#include <initializer_list>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/error.hpp"

namespace berth::engine::build {

class Flags {
 public:
  enum Kind { Bool, String, Strings };
  // raw: the words extract_flags found ("--from=x"); known: what the instruction takes.
  Flags(std::vector<std::string> raw, std::initializer_list<std::pair<const char*, Kind>> known);

  Result<> parse();
  std::string str(const std::string& name) const;  // "" when not given; the last one
  bool flag(const std::string& name) const;        // a Bool given as true
  std::vector<std::string> all(const std::string& name) const;

 private:
  std::vector<std::string> raw_;
  std::map<std::string, Kind> kinds_;
  std::map<std::string, std::vector<std::string>> values_;
};

}  // namespace berth::engine::build
