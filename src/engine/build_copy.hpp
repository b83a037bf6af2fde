// COPY/ADD without a container: the entries copy_sources resolved are written into an empty
// staging tree (under their image paths, owned by --chown's ids, --chmod's mode when given),
// which becomes the step's layer. Sources are opened beneath their root (the context or another
// stage's root filesystem) and the staging tree is written beneath its own, so neither a
// symlink in the sources nor one created by an earlier entry leads anywhere else.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "engine/build/copy_sources.hpp"
#include "engine/build/instruction.hpp"

namespace berth::engine {

struct CopyOwnership {
  std::optional<uint32_t> uid, gid;  // --chown; unset keeps 0:0 as Docker does
  std::optional<uint32_t> mode;      // --chmod (octal)
};

// "755", "0644" -> the mode; anything else is an error naming the flag.
Result<uint32_t> parse_chmod(std::string_view text);

Result<> stage_copy(int src_root, const build::CopySources& src, const std::string& staging, const CopyOwnership& own);

// ADD's local archives: a source file that is a tar (plain, gzip, zstd or the other formats
// the layer reader knows) is unpacked into target_dir (absolute, in the image) instead of
// being copied; its entries keep their own owners. is_archive looks at the magic bytes.
bool is_archive(int src_root, const std::string& source);
Result<> stage_archive(int src_root, const std::string& source, std::string_view target_dir, const std::string& staging);

// `COPY <<EOF /dest`: each heredoc as a file named after it (below dest when dest ends in "/"
// or there are several), mode 0644 unless --chmod.
Result<> stage_heredocs(const std::vector<build::Heredoc>& docs, std::string_view dest, std::string_view workdir,
                        const std::string& staging, const CopyOwnership& own);

}  // namespace berth::engine
