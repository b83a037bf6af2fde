#include "engine/shim_request.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "engine/attach_protocol.hpp"

namespace berth::engine {

namespace {
constexpr int kAnswerTimeoutMs = 5000;
}

Result<> shim_request(UniqueFd conn, std::string_view frame, const std::string& what, ErrorKind refused) {
  if (!send_all(conn.get(), frame)) return fail_sys(what);
  shutdown(conn.get(), SHUT_WR);
  // The shim answers only a refusal, then closes; EOF means done.
  FrameDecoder dec;
  char buf[4096];
  while (true) {
    pollfd p{conn.get(), POLLIN, 0};
    int n = poll(&p, 1, kAnswerTimeoutMs);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(ErrorKind::Internal, what + ": no answer from its shim");
    ssize_t r = read(conn.get(), buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return {};
    dec.feed(std::string_view(buf, static_cast<size_t>(r)));
    auto f = dec.next();
    if (!f) return fail(ErrorKind::Internal, what + ": " + f.error().what());
    if (*f && (*f)->type == FrameType::Error) return fail(refused, (*f)->payload);
  }
}

}  // namespace berth::engine
