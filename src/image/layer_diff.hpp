// Writes a directory as a layer tar (PAX). For an overlay upper dir the overlay whiteouts
// (0/0 char devices, opaque directories) become OCI ".wh." entries; hard links, symlinks,
// devices, xattrs, ownership and modes are kept. Entries are sorted, so output is reproducible
// for identical trees.
#pragma once
#include <functional>
#include <string>
#include <vector>
#include <string_view>

#include "common/error.hpp"
#include "image/digest.hpp"

namespace berth::image {

using ByteSink = std::function<Result<>(std::string_view)>;

// One range of a user namespace's mapping: ids container.. are host.. on the host.
struct IdRangeMap {
  uint32_t container = 0, host = 0, size = 0;
};

struct DiffOptions {
  bool overlay_whiteouts = true;  // false for a plain tree (import of a directory, export)
  bool recursive = true;          // false: a directory entry without what it holds
  // A remapped container's files: owners written as the container sees them (host ids outside
  // the ranges become 65534, the kernel's overflow id), so its commit is an ordinary layer.
  std::vector<IdRangeMap> uid_map = {}, gid_map = {};
};

// Returns the sha256 of the tar bytes (the diff ID) and its size.
struct DiffResult {
  Digest diff_id;
  uint64_t size = 0;
};
Result<DiffResult> write_layer_tar(const std::string& dir, const ByteSink& sink, const DiffOptions& opts = {});
// One entry of dirfd (a file, or a directory and everything below it) as a tar whose names
// start with `as` instead of `name` (docker cp). Symlinks below dirfd are archived, never followed.
Result<DiffResult> write_entry_tar(int dirfd, const std::string& name, const std::string& as, const ByteSink& sink,
                                   const DiffOptions& opts = {});
// Several entries in one tar, each `name` in `dirfd` archived as `as` (a build context: the
// paths .dockerignore keeps, with opts.recursive off).
struct TarEntry {
  int dirfd;
  std::string name, as;
};
Result<DiffResult> write_entries_tar(const std::vector<TarEntry>& entries, const ByteSink& sink, const DiffOptions& opts = {});

}  // namespace berth::image
