#include "engine/host_devices.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <filesystem>

namespace berth::engine {

using nlohmann::json;

namespace {

std::optional<json> device_json(const struct stat& st, const std::string& path) {
  char type = S_ISCHR(st.st_mode) ? 'c' : S_ISBLK(st.st_mode) ? 'b' : 0;
  if (!type) return std::nullopt;
  return json{{"path", path},          {"type", std::string(1, type)},   {"major", major(st.st_rdev)},
              {"minor", minor(st.st_rdev)}, {"fileMode", st.st_mode & 07777}, {"uid", st.st_uid},
              {"gid", st.st_gid}};
}

}  // namespace

Result<json> host_device(const std::string& host_path, const std::string& container_path) {
  struct stat st;
  if (stat(host_path.c_str(), &st) != 0)
    return fail(ErrorKind::Invalid, "error gathering device information while adding custom device \"" + host_path +
                                        "\": no such file or directory");
  auto d = device_json(st, container_path);
  if (!d) return fail(ErrorKind::Invalid, "error gathering device information while adding custom device \"" +
                                              host_path + "\": not a device node");
  return *d;
}

std::vector<json> all_host_devices() {
  namespace fs = std::filesystem;
  std::vector<json> out;
  std::error_code ec;
  fs::recursive_directory_iterator it("/dev", fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    auto p = it->path().string();
    if (it->is_directory(ec) && !it->is_symlink(ec)) {
      auto name = it->path().filename().string();
      if (name == "pts" || name == "shm" || name == "fd" || name == "mqueue" || name == ".lxc" || name == ".udev")
        it.disable_recursion_pending();
      continue;
    }
    if (p == "/dev/console" || p == "/dev/ptmx") continue;
    struct stat st;
    if (lstat(p.c_str(), &st) != 0) continue;
    if (auto d = device_json(st, p)) out.push_back(*d);
  }
  return out;
}

Result<std::pair<int64_t, int64_t>> block_device_numbers(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return fail_sys("stat " + path, ErrorKind::Invalid);
  if (!S_ISBLK(st.st_mode)) return fail(ErrorKind::Invalid, path + " is not a block device");
  return std::pair<int64_t, int64_t>{major(st.st_rdev), minor(st.st_rdev)};
}

}  // namespace berth::engine
