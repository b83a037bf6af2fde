#include "runtime/process/process_attrs.hpp"

#include <sched.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/fs.hpp"
#include "runtime/spec/spec_fields.hpp"

namespace berth::runtime {
namespace {

constexpr int kIoprioClassShift = 13;

struct SchedAttr {
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
};

}  // namespace

Result<ProcessAttrs> plan_process_attrs(const Process& p, const Linux& lx, std::vector<std::string>* warnings) {
  ProcessAttrs a;
  if (lx.personality.is_object()) {
    std::string domain = lx.personality.value("domain", "");
    if (domain == "LINUX") a.personality = PER_LINUX;
    else if (domain == "LINUX32") a.personality = PER_LINUX32;
    else return invalid("linux.personality.domain", "must be LINUX or LINUX32, got \"" + domain + "\"");
    a.has_personality = true;
  }
  if (p.io_priority.is_object()) {
    std::string cls = p.io_priority.value("class", "");
    int c = cls == "IOPRIO_CLASS_RT" ? 1 : cls == "IOPRIO_CLASS_BE" ? 2 : cls == "IOPRIO_CLASS_IDLE" ? 3 : 0;
    if (!c) return invalid("process.ioPriority.class", "unknown class \"" + cls + "\"");
    int prio = p.io_priority.value("priority", 0);
    if (prio < 0 || prio > 7) return invalid("process.ioPriority.priority", "must be between 0 and 7");
    a.ioprio = (c << kIoprioClassShift) | prio;
    a.has_ioprio = true;
  }
  if (p.scheduler.is_object()) {
    static const std::pair<const char*, uint32_t> policies[] = {
        {"SCHED_OTHER", SCHED_OTHER}, {"SCHED_FIFO", SCHED_FIFO}, {"SCHED_RR", SCHED_RR},
        {"SCHED_BATCH", SCHED_BATCH}, {"SCHED_IDLE", SCHED_IDLE}, {"SCHED_DEADLINE", 6}};
    std::string pol = p.scheduler.value("policy", "");
    bool found = false;
    for (auto& [n, v] : policies)
      if (pol == n) {
        a.sched.policy = v;
        found = true;
      }
    if (!found) return invalid("process.scheduler.policy", "unknown policy \"" + pol + "\"");
    a.sched.nice = p.scheduler.value("nice", 0);
    if (a.sched.nice < -20 || a.sched.nice > 19) return invalid("process.scheduler.nice", "must be between -20 and 19");
    a.sched.priority = p.scheduler.value("priority", 0u);
    a.sched.runtime = p.scheduler.value("runtime", 0ull);
    a.sched.deadline = p.scheduler.value("deadline", 0ull);
    a.sched.period = p.scheduler.value("period", 0ull);
    for (auto& f : p.scheduler.value("flags", std::vector<std::string>{})) {
      if (f == "SCHED_FLAG_RESET_ON_FORK") a.sched.flags |= 0x01;
      else if (f == "SCHED_FLAG_RECLAIM") a.sched.flags |= 0x02;
      else if (f == "SCHED_FLAG_DL_OVERRUN") a.sched.flags |= 0x04;
      else return invalid("process.scheduler.flags", "unknown flag \"" + f + "\"");
    }
    if ((a.sched.policy == SCHED_FIFO || a.sched.policy == SCHED_RR) && (a.sched.priority < 1 || a.sched.priority > 99))
      return invalid("process.scheduler.priority", "must be between 1 and 99 for " + pol);
    a.has_sched = true;
  }
  if (!lx.intel_rdt.is_null() && !path_exists("/sys/fs/resctrl/schemata"))
    return invalid("linux.intelRdt", "Intel RDT is not available on this host (no resctrl filesystem mounted)");
  bool apparmor = read_file("/sys/module/apparmor/parameters/enabled").value_or("N").starts_with("Y");
  if (!p.apparmor_profile.empty() && !apparmor && warnings)
    warnings->push_back("apparmor is not enabled on this host: profile \"" + p.apparmor_profile + "\" ignored");
  bool selinux = path_exists("/sys/fs/selinux/enforce");
  if ((!p.selinux_label.empty() || !lx.mount_label.empty()) && !selinux && warnings)
    warnings->push_back("selinux is not enabled on this host: labels ignored");
  return a;
}

Result<> apply_process_attrs(const ProcessAttrs& a) {
  if (a.has_personality && personality(a.personality) < 0) return fail_sys("personality");
  if (a.has_ioprio && syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, a.ioprio) != 0)
    return fail_sys("ioprio_set");
  if (a.has_sched) {
    SchedAttr attr{sizeof(SchedAttr), a.sched.policy, a.sched.flags, a.sched.nice, a.sched.priority,
                   a.sched.runtime, a.sched.deadline, a.sched.period};
    if (syscall(SYS_sched_setattr, 0, &attr, 0) != 0) return fail_sys("sched_setattr");
  }
  return {};
}

}  // namespace berth::runtime
