// berthd's own OOM score adjustment: what the CRI never asks below for a pod's processes
// (hosts like these refuse a lower one).
#pragma once

namespace berth::cri {

int own_oom_score_adj();  // /proc/self/oom_score_adj; 0 when unreadable

}  // namespace berth::cri
