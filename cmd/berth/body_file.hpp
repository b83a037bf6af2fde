// A request body read from a file or stdin, for load and import.
#pragma once
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "api/http_client.hpp"
#include "common/fd.hpp"

namespace berth::cli {

// path "" or "-": stdin. Returns an empty source when the file cannot be opened (errno set).
inline api::BodySource file_body(const std::string& path) {
  auto fd = std::make_shared<UniqueFd>(path.empty() || path == "-" ? dup(0)
                                                                   : open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!*fd) return {};
  return [fd](char* buf, size_t n) -> Result<size_t> {
    ssize_t r = read(fd->get(), buf, n);
    if (r < 0) return fail_sys("read input");
    return static_cast<size_t>(r);
  };
}

}  // namespace berth::cli
