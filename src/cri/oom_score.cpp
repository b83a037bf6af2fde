#include "cri/oom_score.hpp"

#include <fstream>

namespace berth::cri {

int own_oom_score_adj() {
  std::ifstream f("/proc/self/oom_score_adj");
  int v = 0;
  return f >> v ? v : 0;
}

}  // namespace berth::cri
