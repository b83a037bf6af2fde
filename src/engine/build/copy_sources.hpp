// What a COPY or ADD reads from the build context and where each piece lands, with Docker's
// rules: sources are relative to the context root (a leading "/" or "./" is dropped, ".."
// that climbs out is refused, and so is a symlink that leads out); globs (* ? [a-z]) match
// per path component; a directory source copies its contents, not itself; a file goes to
// dest/<name> when dest ends in "/" (or is "."), else to dest itself; several sources need
// a dest that ends in "/". A relative dest is under the WORKDIR.
//
// The checksum covers exactly the entries listed, as they will land (path, type, mode, owner,
// symlink target, content): the COPY's cache key.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "engine/build/classic_hash.hpp"
#include "image/digest.hpp"

namespace berth::engine::build {

struct CopyEntry {
  enum Type { File, Dir, Symlink, Other } type = File;
  std::string source;  // path in the context, "" for its root
  std::string dest;    // absolute path in the image
  uint32_t mode = 0;   // permission bits, setuid/setgid/sticky included
  uint32_t uid = 0, gid = 0;
  uint64_t size = 0;
  std::string link_target;  // symlinks
};

struct CopySources {
  std::vector<CopyEntry> entries;  // each directory before what it holds, names sorted
  image::Digest checksum;
  std::string classic_hash;  // dockerd's "file:<hex>", "dir:<hex>" or "multi:<hex>" (classic_hash.hpp)
};

// context_fd: the extracted context's root directory. instruction names the command in
// errors ("COPY" or "ADD").
// from_image: the root is an image's (COPY --from), which changes how dockerd hashes it.
Result<CopySources> resolve_copy_sources(int context_fd, const std::vector<std::string>& sources,
                                         std::string_view dest, std::string_view workdir,
                                         std::string_view instruction = "COPY", bool from_image = false);

// "../x" -> error; "/a/./b" -> "a/b"; "." and "/" -> "" (the root).
Result<std::string> context_path(std::string_view source);

}  // namespace berth::engine::build
