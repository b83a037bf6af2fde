// The errors the Dockerfile's parsers return, worded as dockerd words them.
#pragma once
#include <string>

#include "common/error.hpp"

namespace berth::engine::build {

inline Error bad(std::string msg) { return make_error(ErrorKind::Invalid, std::move(msg)); }

// "Dockerfile parse error on line N: ...".
inline Error at_line(int line, const Error& e) {
  return make_error(ErrorKind::Invalid, "Dockerfile parse error on line " + std::to_string(line) + ": " + e.message);
}
inline Error at_line(int line, std::string msg) { return at_line(line, bad(std::move(msg))); }

}  // namespace berth::engine::build
