// A temporary mount of an image's root filesystem for the builder to read from (COPY --from,
// --chown names looked up in its /etc/passwd): a snapshot on the image mounted under the image
// root's tmp/, unmounted and removed with the object.
#pragma once
#include <memory>
#include <string>

#include "common/error.hpp"
#include "common/fd.hpp"
#include "image/image_service.hpp"

namespace berth::engine {

class RootfsView {
 public:
  static Result<std::unique_ptr<RootfsView>> open(image::ImageService& images, const std::string& image_id);
  ~RootfsView();
  int fd() const { return fd_.get(); }
  const std::string& path() const { return mnt_; }

 private:
  RootfsView(image::ImageService& images) : images_(images) {}
  image::ImageService& images_;
  std::string key_, mnt_;
  bool mounted_ = false, created_ = false;
  UniqueFd fd_;
};

}  // namespace berth::engine
