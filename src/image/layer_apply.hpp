// Unpacks a layer (tar, tar+gzip, tar+zstd: detected from the bytes) into a directory, turning
// OCI whiteouts into overlay whiteouts. Hashes both the blob and the uncompressed tar on the way,
// and refuses any entry that would land outside the directory.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "common/error.hpp"
#include "image/digest.hpp"

namespace berth::image {

class ContentWriter;

struct ApplyOptions {
  std::optional<Digest> expected_diff_id;      // rootfs.diff_ids[i]
  std::optional<Digest> expected_blob_digest;  // the descriptor's digest
  bool overlay_whiteouts = true;  // false: ".wh." entries are an error (plain root filesystems)
  // docker cp's noOverwriteDirNonDir: a directory may not replace a file or the other way round.
  bool no_overwrite_dir_non_dir = false;
  // Owner of every entry instead of the tar's (docker cp -a into a container with a User).
  std::optional<std::pair<uint32_t, uint32_t>> chown = std::nullopt;
  // Reads the whole archive once before writing anything (fd must be seekable): a bad entry
  // anywhere (absolute, "..", a whiteout, a path through a symlink of the same archive, a hard
  // link out) refuses it with nothing written.
  bool validate_first = false;
};

struct ApplyResult {
  Digest diff_id;      // sha256 of the uncompressed tar
  Digest blob_digest;  // sha256 of the bytes read from fd
  uint64_t uncompressed_size = 0;
  uint64_t entries = 0;
};

// Reads fd to its end. On error the caller must discard root (it may hold part of the layer),
// but nothing outside root is ever touched.
Result<ApplyResult> apply_layer(int fd, const std::string& root, const ApplyOptions& opts = {});
// The same below an open directory: nothing is written outside rootfd (symlinks that lead out
// of it make the entry fail).
Result<ApplyResult> apply_layer_at(int fd, int rootfd, const ApplyOptions& opts = {});

// Decompresses fd into out (when out is non-null) and returns the digests, unpacking nothing.
Result<ApplyResult> decompress_layer(int fd, ContentWriter* out);

}  // namespace berth::image
