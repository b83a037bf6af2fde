#include "network/netlink_error.hpp"

#include <netlink/errno.h>

namespace berth::network {

Error nl_error(const std::string& what, int nl_err) {
  int code = nl_err < 0 ? -nl_err : nl_err;
  ErrorKind kind = ErrorKind::Internal;
  switch (code) {
    case NLE_EXIST: kind = ErrorKind::Exists; break;
    case NLE_OBJ_NOTFOUND:
    case NLE_NODEV: kind = ErrorKind::NotFound; break;
    case NLE_PERM: kind = ErrorKind::Permission; break;
    case NLE_INVAL:
    case NLE_RANGE: kind = ErrorKind::Invalid; break;
    case NLE_BUSY: kind = ErrorKind::Conflict; break;
  }
  return make_error(kind, what + ": " + nl_geterror(code));
}

}  // namespace berth::network
