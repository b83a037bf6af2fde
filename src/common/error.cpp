#include "common/error.hpp"

#include <cerrno>
#include <cstring>

namespace berth {

Error Error::wrap(std::string_view context) const& {
  Error e = *this;
  return std::move(e).wrap(context);
}

Error Error::wrap(std::string_view context) && {
  if (!context.empty()) message = std::string(context) + (message.empty() ? "" : ": " + message);
  return std::move(*this);
}

std::string Error::what() const {
  if (errnum == 0) return message;
  return message + ": " + std::strerror(errnum);
}

int Error::http_status() const {
  switch (kind) {
    case ErrorKind::NotFound: return 404;
    case ErrorKind::Exists:
    case ErrorKind::Conflict: return 409;
    case ErrorKind::Invalid: return 400;
    case ErrorKind::Permission: return 403;
    case ErrorKind::Unavailable: return 503;
    case ErrorKind::Internal: break;
  }
  return 500;
}

Error make_error(ErrorKind kind, std::string message) { return Error{kind, 0, std::move(message)}; }

Error sys_error(std::string message, int errnum, ErrorKind kind) {
  return Error{kind, errnum, std::move(message)};
}

Error sys_error(std::string message) { return sys_error(std::move(message), errno); }

const char* errno_name(int errnum) {
  const char* n = strerrorname_np(errnum);
  return n ? n : "E?";
}

}  // namespace berth
