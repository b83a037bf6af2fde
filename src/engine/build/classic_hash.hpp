// The content hash dockerd's classic builder prints in a COPY/ADD history line
// ("COPY file:<hex> in /dst"): per entry, sha256 of its tarsum v1 header (the tar header's
// name, mode, uid, gid, size, typeflag, linkname, uname, gname, devmajor, devminor; no mtime)
// followed by a regular file's content. A file source is "file:<that>";
// a directory source "dir:" + sha256 of its entries' bare hashes (itself included), sorted and
// joined with ","; several sources "multi:" + sha256 of their prefixed hashes, in order, joined
// alike.
#pragma once
#include <sys/stat.h>

#include <string>
#include <string_view>
#include <vector>

namespace berth::engine::build {

// Whose header: the context's are the tar headers the docker client sent (permission bits
// alone, owner names empty: dockerd hashes the context tar as it came); an image's are made by
// dockerd from the files (file type bits in the mode, owner names looked up on the host).
enum class HeaderStyle { Context, Image };

// rel: the path below the source root ("conf/x.conf"); a directory's gets a trailing "/".
std::string classic_header(const std::string& rel, const struct stat& st, const std::string& link_target,
                           HeaderStyle style);

// prefix + ":" + hex sha256 of the hashes joined with "," (sorted first when asked).
std::string classic_hash_list(std::string_view prefix, std::vector<std::string> hashes, bool sort);

}  // namespace berth::engine::build
