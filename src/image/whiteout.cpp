#include "image/whiteout.hpp"

#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <cerrno>
#include <fcntl.h>

namespace berth::image {

Result<WhiteoutName> classify_whiteout(std::string_view base) {
  WhiteoutName w;
  if (base.substr(0, kWhiteoutPrefix.size()) != kWhiteoutPrefix) return w;
  if (base == kOpaqueMarker) {
    w.kind = WhiteoutKind::Opaque;
    return w;
  }
  if (base.substr(0, kWhiteoutMetaPrefix.size()) == kWhiteoutMetaPrefix) {
    w.kind = WhiteoutKind::Meta;  // aufs bookkeeping (.wh..wh.plnk, ...): ignored
    return w;
  }
  auto target = base.substr(kWhiteoutPrefix.size());
  if (target.empty() || target == "." || target == "..")
    return fail(ErrorKind::Invalid, "whiteout \"" + std::string(base) + "\": invalid target \"" +
                                        std::string(target) + "\"");
  w.kind = WhiteoutKind::File;
  w.target = std::string(target);
  return w;
}

bool is_overlay_whiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0); }

Result<> make_overlay_whiteout(int dirfd, const std::string& name) {
  if (mknodat(dirfd, name.c_str(), S_IFCHR | 0000, makedev(0, 0)) != 0)
    return fail_sys("create whiteout " + name);
  return {};
}

Result<> set_opaque(int dirfd) {
  if (fsetxattr(dirfd, kOpaqueXattr, "y", 1, 0) != 0) return fail_sys("set opaque xattr");
  return {};
}

bool is_opaque(int dirfd) {
  char v[4];
  ssize_t n = fgetxattr(dirfd, kOpaqueXattr, v, sizeof v);
  return n == 1 && v[0] == 'y';
}

}  // namespace berth::image
