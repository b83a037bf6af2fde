#include "engine/build/builder_flags.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "engine/build/parse_error.hpp"

namespace berth::engine::build {
Flags::Flags(std::vector<std::string> raw, std::initializer_list<std::pair<const char*, Kind>> known)
    : raw_(std::move(raw)) {
  for (auto& [n, k] : known) kinds_[n] = k;
}

Result<> Flags::parse() {
  for (const auto& arg : raw_) {
    std::string_view a(arg);
    if (!a.starts_with("--")) return fail(bad("arg should start with -- : " + arg));
    a.remove_prefix(2);
    auto eq = a.find('=');
    std::string name(a.substr(0, eq));
    auto kind = kinds_.find(name);
    if (kind == kinds_.end()) return fail(bad("unknown flag: " + name));
    if (values_.contains(name) && kind->second != Strings) return fail(bad("duplicate flag specified: " + name));
    std::string value = eq == std::string_view::npos ? "" : std::string(a.substr(eq + 1));
    if (kind->second == Bool) {
      if (eq != std::string_view::npos && value.empty()) return fail(bad("missing a value on flag: " + name));
      std::string low = value;
      std::ranges::transform(low, low.begin(), [](unsigned char c) { return std::tolower(c); });
      if (low.empty()) low = "true";
      if (low != "true" && low != "false") {
        return fail(bad("expecting boolean value for flag " + name + ", not: " + value));
      }
      value = low;
    } else if (eq == std::string_view::npos) {
      return fail(bad("missing a value on flag: " + name));
    }
    values_[name].push_back(value);
  }
  return {};
}

std::string Flags::str(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? "" : it->second.back();
}

bool Flags::flag(const std::string& name) const { return str(name) == "true"; }

std::vector<std::string> Flags::all(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

}  // namespace berth::engine::build
