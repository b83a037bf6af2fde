#include "engine/host_info.hpp"

#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/fs.hpp"

namespace berth::engine {

namespace {

// A value from /etc/os-release, unquoted.
std::string os_release(const std::string& key) {
  auto text = read_file("/etc/os-release");
  if (!text) text = read_file("/usr/lib/os-release");
  if (!text) return "";
  size_t pos = 0;
  while (pos < text->size()) {
    auto nl = text->find('\n', pos);
    std::string line = text->substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? text->size() : nl + 1;
    if (!line.starts_with(key + "=")) continue;
    std::string v = line.substr(key.size() + 1);
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'')) v = v.substr(1, v.size() - 2);
    return v;
  }
  return "";
}

}  // namespace

HostInfo host_info() {
  HostInfo h;
  utsname u{};
  if (uname(&u) == 0) {
    h.hostname = u.nodename;
    h.kernel_version = u.release;
    h.architecture = u.machine;
  }
  h.operating_system = os_release("PRETTY_NAME");
  h.os_version = os_release("VERSION_ID");
  h.ncpu = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  struct sysinfo si{};
  if (sysinfo(&si) == 0) h.mem_total = static_cast<int64_t>(si.totalram) * si.mem_unit;
  struct statfs fs{};
  h.cgroup_version = statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC ? "2" : "1";
  return h;
}

}  // namespace berth::engine
