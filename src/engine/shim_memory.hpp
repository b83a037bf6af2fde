// The shim's footprint while it watches its container for days: what create touched once
// need not stay mapped.
#pragma once

namespace berth::engine {

// Returns the heap's free memory to the kernel, and drops clean, read-only, file-backed pages
// (the code that created the container) from this process's mappings; the page cache keeps them
// and what runs again faults back in.
void drop_clean_file_pages();

}  // namespace berth::engine
