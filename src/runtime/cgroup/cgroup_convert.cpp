#include "runtime/cgroup/cgroup_convert.hpp"

namespace berth::runtime {

uint64_t cpu_shares_to_weight(uint64_t shares) {
  if (shares == 0) return 0;
  if (shares < 2) shares = 2;
  if (shares > 262144) shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t blkio_weight_to_io_weight(uint64_t weight) {
  if (weight == 0) return 0;
  if (weight < 10) weight = 10;
  if (weight > 1000) weight = 1000;
  return 1 + (weight - 10) * 9999 / 990;
}

Result<int64_t> memory_swap_to_v2(int64_t swap, int64_t memory) {
  // Unlimited memory with no swap given means unlimited swap too (v1 compatibility).
  if (memory == -1 && swap == 0) return -1;
  if (swap == -1 || swap == 0) return swap;
  if (memory == 0 || memory == -1)
    return fail(ErrorKind::Invalid, "linux.resources.memory.swap: a swap limit needs a memory limit");
  if (swap < memory)
    return fail(ErrorKind::Invalid, "linux.resources.memory.swap: memory+swap limit " + std::to_string(swap) +
                                        " is lower than the memory limit " + std::to_string(memory));
  return swap - memory;
}

}  // namespace berth::runtime
