// Process attributes beyond user and capabilities: personality, I/O priority, scheduler, and
// the LSM labels this kernel may not have. Checked in the parent, applied in the child.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "runtime/spec/spec.hpp"

namespace berth::runtime {

struct ProcessAttrs {
  bool has_personality = false;
  unsigned long personality = 0;
  bool has_ioprio = false;
  int ioprio = 0;  // IOPRIO_PRIO_VALUE(class, level)
  bool has_sched = false;
  struct {
    uint32_t policy = 0, flags = 0;
    int32_t nice = 0;
    uint32_t priority = 0;
    uint64_t runtime = 0, deadline = 0, period = 0;
  } sched;
};

// Validates process.{ioPriority,scheduler,apparmorProfile,selinuxLabel} and linux.{personality,
// intelRdt,mountLabel}. LSM labels without that LSM on the host are ignored with a warning.
Result<ProcessAttrs> plan_process_attrs(const Process& p, const Linux& lx, std::vector<std::string>* warnings);
// Child side, before dropping privileges.
Result<> apply_process_attrs(const ProcessAttrs& a);

}  // namespace berth::runtime
