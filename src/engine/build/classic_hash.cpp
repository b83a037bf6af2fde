#include "engine/build/classic_hash.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/sysmacros.h>

#include <algorithm>

#include "image/digest.hpp"

namespace berth::engine::build {

namespace {

std::string user_name(uid_t uid) {
  struct passwd pw, *out = nullptr;
  char buf[4096];
  return ::getpwuid_r(uid, &pw, buf, sizeof buf, &out) == 0 && out ? out->pw_name : "";
}

std::string group_name(gid_t gid) {
  struct group gr, *out = nullptr;
  char buf[4096];
  return ::getgrgid_r(gid, &gr, buf, sizeof buf, &out) == 0 && out ? out->gr_name : "";
}

}  // namespace

std::string classic_header(const std::string& rel, const struct stat& st, const std::string& link_target,
                           HeaderStyle style) {
  char flag = '0';
  long type_bits = 0;
  std::string name = rel;
  long long size = 0;
  bool device = false;
  switch (st.st_mode & S_IFMT) {
    case S_IFREG: type_bits = 0100000; size = st.st_size; break;
    case S_IFDIR: type_bits = 040000; flag = '5'; if (!name.ends_with('/')) name += '/'; break;
    case S_IFLNK: type_bits = 0120000; flag = '2'; break;
    case S_IFCHR: type_bits = 020000; flag = '3'; device = true; break;
    case S_IFBLK: type_bits = 060000; flag = '4'; device = true; break;
    case S_IFIFO: type_bits = 010000; flag = '6'; break;
  }
  bool image = style == HeaderStyle::Image;
  long mode = long(st.st_mode & 07777) | (image ? type_bits : 0);
  std::string h;
  h += "name" + name;
  h += "mode" + std::to_string(mode);
  h += "uid" + std::to_string(st.st_uid);
  h += "gid" + std::to_string(st.st_gid);
  h += "size" + std::to_string(size);
  h += std::string("typeflag") + flag;
  h += "linkname" + ((st.st_mode & S_IFMT) == S_IFLNK ? link_target : std::string());
  h += "uname" + (image ? user_name(st.st_uid) : "");
  h += "gname" + (image ? group_name(st.st_gid) : "");
  h += "devmajor" + std::to_string(device ? major(st.st_rdev) : 0);
  h += "devminor" + std::to_string(device ? minor(st.st_rdev) : 0);
  return h;
}

std::string classic_hash_list(std::string_view prefix, std::vector<std::string> hashes, bool sort) {
  if (sort) std::ranges::sort(hashes);
  std::string joined;
  for (auto& x : hashes) joined += (joined.empty() ? "" : ",") + x;
  return std::string(prefix) + ":" + image::Digest::of(joined).hex();
}

}  // namespace berth::engine::build
