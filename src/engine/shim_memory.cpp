#include "engine/shim_memory.hpp"

#include <malloc.h>
#include <sys/mman.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace berth::engine {

// An idle shim's footprint. The code that created and started the container (the runtime
// library, and the parts of libc and libstdc++ it ran) is clean file-backed memory that the poll
// loop never runs again; those pages are dropped from our mappings (MADV_DONTNEED), the page
// cache keeps them, and the few the loop uses fault back in. Only read-only private file
// mappings without a single dirty or anonymous page qualify: for those the drop cannot lose a
// byte (relocated, copied-on-write pages are never touched).
void drop_clean_file_pages() {
  // The heap first: creating the container (its spec, the seccomp filter compiled from Docker's
  // default profile) freed more than a megabyte that malloc would otherwise keep.
  malloc_trim(0);
  FILE* f = fopen("/proc/self/smaps", "re");
  if (!f) return;
  struct Range {
    uintptr_t start = 0, end = 0;
    bool candidate = false, dirty = false;
  };
  std::vector<Range> ranges;
  Range cur;
  char* line = nullptr;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    unsigned long start = 0, end = 0;
    char perms[8] = {};
    int path_at = 0;
    if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &start, &end, perms, &path_at) >= 3 && path_at > 0) {
      if (cur.candidate && !cur.dirty) ranges.push_back(cur);
      cur = Range{start, end, perms[1] != 'w' && perms[3] == 'p' && line[path_at] == '/', false};
      continue;
    }
    unsigned long kb = 0;
    if ((sscanf(line, "Private_Dirty: %lu kB", &kb) == 1 || sscanf(line, "Anonymous: %lu kB", &kb) == 1) && kb > 0)
      cur.dirty = true;
  }
  if (cur.candidate && !cur.dirty) ranges.push_back(cur);
  free(line);
  fclose(f);
  for (auto& r : ranges) madvise(reinterpret_cast<void*>(r.start), r.end - r.start, MADV_DONTNEED);
}

}  // namespace berth::engine
