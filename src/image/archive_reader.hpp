// A libarchive reader owned by a unique_ptr.
#pragma once
#include <archive.h>

#include <memory>

namespace berth::image {

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

}  // namespace berth::image
