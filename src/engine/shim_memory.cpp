#include "engine/shim_memory.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstring>

namespace berth::engine {

void release_startup_code() {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return;
  exe[n] = 0;
  FILE* maps = fopen("/proc/self/maps", "re");
  if (!maps) return;
  char line[PATH_MAX + 128];
  while (fgets(line, sizeof line, maps)) {
    unsigned long start = 0, end = 0;
    char perms[5] = {};
    int path_at = 0;
    if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %n", &start, &end, perms, &path_at) < 3 || path_at == 0) continue;
    char* path = line + path_at;
    path[strcspn(path, "\n")] = 0;
    if (strcmp(perms, "r-xp") != 0 || strcmp(path, exe) != 0) continue;
    madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
  }
  fclose(maps);
}

}  // namespace berth::engine
