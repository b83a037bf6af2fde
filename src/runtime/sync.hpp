// The parent <-> container-init handshake over a SOCK_SEQPACKET pair. The child's errors come
// home as (errno, message), so a user reads "mount proc on /proc: Operation not permitted"
// instead of "child exited 1". The socket is close-on-exec: EOF after Ready means exec happened.
#pragma once
#include <cstdint>
#include <string>

#include "common/error.hpp"
#include "common/fd.hpp"

namespace berth::runtime {

enum class SyncType : uint32_t {
  Go = 1,        // parent -> child: continue (payload: optional data)
  CgroupJoined,  // parent -> child: the cgroup move is done (it overlaps the child's setup)
  Error,         // child -> parent: errno + message
  Hooks,         // child -> parent: run prestart/createRuntime hooks now, then send Go
  Ready,         // child -> parent: set up, waiting for start
  SeccompFd,     // child -> parent: the seccomp notify fd (SCM_RIGHTS)
};

struct SyncMsg {
  SyncType type = SyncType::Go;
  int errnum = 0;
  std::string payload;
  int fd = -1;  // received fd, if any (caller owns)
};

struct SyncPair {
  UniqueFd parent, child;
};

Result<SyncPair> sync_pair();
Result<> sync_send(int sock, SyncType type, std::string_view payload = {}, int errnum = 0, int fd = -1);
// EOF is an error of kind Unavailable ("peer closed").
Result<SyncMsg> sync_recv(int sock);
// The error an Error message carries (errno + message from the child).
Error sync_error(const SyncMsg& m);
// Child side: report an error and exit. Never returns.
[[noreturn]] void sync_fail(int sock, const Error& e);
// Receives one message and requires it to be `want`; an Error message becomes the returned error.
Result<SyncMsg> sync_expect(int sock, SyncType want);
// Receives one message; an Error message becomes the returned error.
Result<SyncMsg> sync_expect_any(int sock);

}  // namespace berth::runtime
