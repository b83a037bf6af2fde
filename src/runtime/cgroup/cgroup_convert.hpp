// v1 values in linux.resources converted to their cgroup v2 counterparts, as runc does.
#pragma once
#include <cstdint>

#include "common/error.hpp"

namespace berth::runtime {

// cpu.shares [2, 262144] -> cpu.weight [1, 10000]; 0 stays "unset".
uint64_t cpu_shares_to_weight(uint64_t shares);
// blkio.weight [10, 1000] -> io.weight [1, 10000]; 0 stays "unset".
uint64_t blkio_weight_to_io_weight(uint64_t weight);
// OCI's swap is memory+swap; memory.swap.max is swap alone. -1 = max, 0 = unset.
Result<int64_t> memory_swap_to_v2(int64_t swap, int64_t memory);

}  // namespace berth::runtime
