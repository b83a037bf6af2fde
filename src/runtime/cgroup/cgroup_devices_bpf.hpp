// linux.resources.devices on cgroup v2: an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE,
// attached with BPF_F_ALLOW_MULTI, replacing the one this runtime attached before.
#pragma once
#include <linux/bpf.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "common/error.hpp"

namespace berth::runtime {

// The program for the rules, with v1 semantics: a type "a" rule resets the list and sets the
// default, later rules win over earlier ones.
std::vector<bpf_insn> device_filter_program(const nlohmann::json& rules);
// Loads the program and attaches it to the cgroup directory, then detaches the programs that
// were attached before (an update replaces the filter instead of stacking another one).
Result<> attach_device_filter(const std::string& cgroup_dir, const nlohmann::json& rules);

}  // namespace berth::runtime
