// A docker-archive of a one-layer busybox image, made once per test binary with the image
// library in a scratch root (no daemon involved), for `docker load`.
#pragma once
#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "common/fd.hpp"
#include "image/archive.hpp"
#include "image/image_service.hpp"
#include "support/support.hpp"

namespace berth::api::test {

// Path of busybox.tar ("busybox:latest"); empty when it could not be made (the test fails).
inline const std::string& busybox_archive() {
  static berth::test::TempDir dir("berth-api-archive");
  static std::string path = [] {
    berth::test::make_busybox_rootfs(dir / "rootfs");
    auto svc = berth::image::ImageService::open(dir / "store");
    if (!svc) return std::string();
    berth::image::ImportOptions o;
    o.tag = "busybox:latest";
    o.message = "busybox for the API tests";
    if (!(*svc)->import(dir / "rootfs", o)) return std::string();
    std::string out = dir / "busybox.tar";
    berth::UniqueFd fd(open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    auto r = berth::image::save_archive(**svc, {"busybox:latest"}, berth::image::ArchiveFormat::DockerArchive,
                                        [&](std::string_view b) -> berth::Result<> {
                                          if (::write(fd.get(), b.data(), b.size()) != static_cast<ssize_t>(b.size()))
                                            return berth::fail_sys("write archive");
                                          return {};
                                        });
    return r ? out : std::string();
  }();
  return path;
}

}  // namespace berth::api::test
