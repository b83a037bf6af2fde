#include "engine/container_id.hpp"

#include <sys/random.h>

#include <array>

namespace berth::engine {

namespace {

uint64_t random_u64() {
  uint64_t v = 0;
  while (getrandom(&v, sizeof v, 0) != sizeof v) {
  }
  return v;
}

}  // namespace

std::string generate_id() {
  static const char* hex = "0123456789abcdef";
  while (true) {
    unsigned char b[32];
    size_t got = 0;
    while (got < sizeof b) {
      ssize_t n = getrandom(b + got, sizeof b - got, 0);
      if (n > 0) got += static_cast<size_t>(n);
    }
    std::string id;
    for (unsigned char c : b) {
      id += hex[c >> 4];
      id += hex[c & 15];
    }
    if (id.substr(0, 12).find_first_not_of("0123456789") != std::string::npos) return id;
  }
}

bool is_full_id(std::string_view s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

Result<std::string> normalize_name(std::string_view name) {
  std::string_view n = name;
  if (!n.empty() && n[0] == '/') n.remove_prefix(1);
  auto ok_first = [](char c) { return std::isalnum(static_cast<unsigned char>(c)); };
  auto ok_rest = [&](char c) { return ok_first(c) || c == '_' || c == '.' || c == '-'; };
  bool valid = n.size() >= 2 && ok_first(n[0]);
  for (size_t i = 1; valid && i < n.size(); ++i) valid = ok_rest(n[i]);
  if (!valid)
    return fail(ErrorKind::Invalid,
                "Invalid container name (" + std::string(name) + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  return "/" + std::string(n);
}

std::string generate_name() {
  static const std::array<const char*, 16> left = {"admiring", "brave",   "clever", "dreamy", "eager",  "festive",
                                                   "gallant",  "happy",   "keen",   "lucid",  "modest", "nifty",
                                                   "quirky",   "serene",  "tender", "vibrant"};
  static const std::array<const char*, 16> right = {"babbage", "curie",   "darwin",   "euler",  "fermat", "galileo",
                                                    "hopper",  "johnson", "kepler",   "lovelace", "meitner", "noether",
                                                    "pascal",  "ritchie", "thompson", "turing"};
  uint64_t r = random_u64();
  return std::string(left[r % left.size()]) + "_" + right[(r >> 8) % right.size()];
}

}  // namespace berth::engine
