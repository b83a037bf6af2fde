#include "runtime/sync.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace berth::runtime {
namespace {
struct Header {
  uint32_t type;
  int32_t errnum;
};
constexpr size_t kMax = 64 * 1024;
}  // namespace

Result<SyncPair> sync_pair() {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return fail_sys("socketpair");
  return SyncPair{UniqueFd(sv[0]), UniqueFd(sv[1])};
}

Result<> sync_send(int sock, SyncType type, std::string_view payload, int errnum, int fd) {
  Header h{static_cast<uint32_t>(type), errnum};
  if (payload.size() > kMax - sizeof h) payload = payload.substr(0, kMax - sizeof h);
  iovec iov[2] = {{&h, sizeof h}, {const_cast<char*>(payload.data()), payload.size()}};
  msghdr m{};
  m.msg_iov = iov;
  m.msg_iovlen = payload.empty() ? 1 : 2;
  alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(int))] = {};
  if (fd >= 0) {
    m.msg_control = ctl;
    m.msg_controllen = sizeof ctl;
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  while (sendmsg(sock, &m, MSG_NOSIGNAL) < 0) {
    if (errno == EINTR) continue;
    return fail_sys("sync: send");
  }
  return {};
}

Result<SyncMsg> sync_recv(int sock) {
  std::vector<char> buf(kMax);
  iovec iov{buf.data(), buf.size()};
  msghdr m{};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(int))] = {};
  m.msg_control = ctl;
  m.msg_controllen = sizeof ctl;
  ssize_t n;
  while ((n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC)) < 0) {
    if (errno == EINTR) continue;
    return fail_sys("sync: receive");
  }
  if (n == 0) return fail(ErrorKind::Unavailable, "peer closed");
  if (static_cast<size_t>(n) < sizeof(Header)) return fail(ErrorKind::Internal, "sync: short message");
  Header h;
  std::memcpy(&h, buf.data(), sizeof h);
  SyncMsg msg{static_cast<SyncType>(h.type), h.errnum, std::string(buf.data() + sizeof h, n - sizeof h), -1};
  for (cmsghdr* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) std::memcpy(&msg.fd, CMSG_DATA(c), sizeof(int));
  return msg;
}

void sync_fail(int sock, const Error& e) {
  (void)sync_send(sock, SyncType::Error, e.message, e.errnum);
  _exit(1);
}

Error sync_error(const SyncMsg& m) {
  return m.errnum ? sys_error(m.payload, m.errnum) : make_error(ErrorKind::Internal, m.payload);
}

Result<SyncMsg> sync_expect_any(int sock) {
  auto m = sync_recv(sock);
  if (!m) return m;
  if (m->type == SyncType::Error) return fail(sync_error(*m));
  return m;
}

Result<SyncMsg> sync_expect(int sock, SyncType want) {
  auto m = sync_expect_any(sock);
  if (!m) return m;
  if (m->type != want)
    return fail(ErrorKind::Internal, "sync: unexpected message " + std::to_string(static_cast<uint32_t>(m->type)));
  return m;
}

}  // namespace berth::runtime
