#include "runtime/cgroup/cgroup_oom.hpp"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>

#include "common/fs.hpp"
#include "runtime/cgroup/cgroup_fs.hpp"

namespace berth::runtime {

OomEvents::OomEvents(UniqueFd fd, std::string counter_file, bool eventfd, uint64_t seen)
    : fd_(std::move(fd)), counter_file_(std::move(counter_file)), eventfd_(eventfd), seen_(seen) {}

Result<uint64_t> read_oom_kill_count(const std::string& file) {
  auto text = BERTH_TRY(berth::read_file(file), "oom count");
  auto kv = cg::parse_keyed(text);
  auto it = kv.find("oom_kill");
  if (it == kv.end()) return fail(ErrorKind::Unavailable, "oom count: " + file + " has no oom_kill counter");
  return it->second;
}

Result<uint64_t> OomEvents::consume() {
  // Drain whatever woke us; the counter says whether a kill happened.
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd_.get(), buf, eventfd_ ? 8 : sizeof buf);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  auto count = read_oom_kill_count(counter_file_);
  if (!count) {
    // The cgroup is gone (v1 signals its removal through the same eventfd).
    if (count.error().errnum == ENOENT) return fail(ErrorKind::NotFound, "oom events: cgroup removed");
    return fail(count.error());
  }
  uint64_t fresh = *count > seen_ ? *count - seen_ : 0;
  seen_ = *count;
  return fresh;
}

Result<OomEvents> open_oom_events_v1(const std::string& dir) {
  std::string control = dir + "/memory.oom_control";
  UniqueFd target(::open(control.c_str(), O_RDONLY | O_CLOEXEC));
  if (!target) return fail_sys("oom events: open " + control);
  UniqueFd efd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!efd) return fail_sys("oom events: eventfd");
  // The kernel keeps the registration for as long as the eventfd lives.
  BERTH_CHECK(cg::write(dir, "cgroup.event_control", std::to_string(efd.get()) + " " + std::to_string(target.get())), "oom events");
  uint64_t seen = read_oom_kill_count(control).value_or(0);
  return OomEvents(std::move(efd), control, true, seen);
}

Result<OomEvents> open_oom_events_v2(const std::string& dir) {
  std::string events = dir + "/memory.events";
  UniqueFd ifd(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!ifd) return fail_sys("oom events: inotify_init1");
  if (::inotify_add_watch(ifd.get(), events.c_str(), IN_MODIFY) < 0) return fail_sys("oom events: watch " + events);
  uint64_t seen = BERTH_TRY(read_oom_kill_count(events), "");
  return OomEvents(std::move(ifd), events, false, seen);
}

}  // namespace berth::runtime
