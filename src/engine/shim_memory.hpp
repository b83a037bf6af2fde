// The shim's footprint while it watches its container for days: what create touched once
// need not stay mapped.
#pragma once

namespace berth::engine {

// Drops this process's mappings of its own executable code (r-xp pages of /proc/self/exe)
// from its page tables. The pages stay in the page cache and fault back in if run again, so
// nothing is lost; what stays resident is the code the monitoring loop actually runs. Only
// never-written text is touched: relocated or written pages would lose their contents.
void release_startup_code();

}  // namespace berth::engine
