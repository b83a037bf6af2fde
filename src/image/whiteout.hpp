// OCI whiteouts (".wh.NAME", ".wh..wh..opq" in a layer tar) and their overlayfs form
// (a 0/0 character device, the trusted.overlay.opaque="y" xattr on a directory).
#pragma once
#include <string>
#include <sys/stat.h>

#include "common/error.hpp"

namespace berth::image {

inline constexpr std::string_view kWhiteoutPrefix = ".wh.";
inline constexpr std::string_view kWhiteoutMetaPrefix = ".wh..wh.";
inline constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
inline constexpr const char* kOpaqueXattr = "trusted.overlay.opaque";

enum class WhiteoutKind { None, File, Opaque, Meta };

struct WhiteoutName {
  WhiteoutKind kind = WhiteoutKind::None;
  std::string target;  // for File: the name being deleted
};

// Classifies a base name. A whiteout of "", "." or ".." is refused.
Result<WhiteoutName> classify_whiteout(std::string_view base);

bool is_overlay_whiteout(const struct stat& st);  // char device 0/0
Result<> make_overlay_whiteout(int dirfd, const std::string& name);
// dirfd: an fd opened on the directory itself (not O_PATH).
Result<> set_opaque(int dirfd);
bool is_opaque(int dirfd);

}  // namespace berth::image
