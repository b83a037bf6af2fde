// Errors as values: an errno, a category that maps to an HTTP status, and a
// context chain ("create container x: mount /proc: EPERM").
#pragma once
#include <expected>
#include <string>
#include <utility>

namespace berth {

enum class ErrorKind { Internal, NotFound, Exists, Invalid, Conflict, Unavailable, Permission };

struct Error {
  ErrorKind kind = ErrorKind::Internal;
  int errnum = 0;        // 0 when no syscall is involved
  std::string message;   // outermost context first, joined with ": "

  // Adds outer context: err.wrap("start container") -> "start container: <old>".
  Error wrap(std::string_view context) const&;
  Error wrap(std::string_view context) &&;
  // Full human text, with strerror appended when errnum != 0.
  std::string what() const;
  int http_status() const;
};

template <class T = void>
using Result = std::expected<T, Error>;

// Builders. A failed syscall keeps its errno for the message, but its category is chosen where
// the error is made, never guessed from errno: ENOENT of a state file is "no such container"
// (404) while ENOENT of /proc/self/fd is our bug (500). Internal unless the caller says.
Error make_error(ErrorKind kind, std::string message);
Error sys_error(std::string message, int errnum, ErrorKind kind = ErrorKind::Internal);
Error sys_error(std::string message);  // uses current errno; Internal
inline std::unexpected<Error> fail(Error e) { return std::unexpected<Error>(std::move(e)); }
inline std::unexpected<Error> fail(ErrorKind kind, std::string message) {
  return std::unexpected<Error>(make_error(kind, std::move(message)));
}
inline std::unexpected<Error> fail_sys(std::string message, ErrorKind kind = ErrorKind::Internal) {
  int e = errno;
  return std::unexpected<Error>(sys_error(std::move(message), e, kind));
}

const char* errno_name(int errnum);  // "EPERM"

}  // namespace berth

// Propagate an error with added context; evaluates to the value on success.
#define BERTH_TRY(expr, ctx)                                             \
  ({                                                                     \
    auto&& _r = (expr);                                                  \
    if (!_r) return std::unexpected<::berth::Error>(_r.error().wrap(ctx)); \
    std::move(*_r);                                                      \
  })
#define BERTH_CHECK(expr, ctx)                                           \
  do {                                                                   \
    auto&& _r = (expr);                                                  \
    if (!_r) return std::unexpected<::berth::Error>(_r.error().wrap(ctx)); \
  } while (0)
