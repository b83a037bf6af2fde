// runtime.v1.ImageService over the engine's image store, which the Docker API side shares: an
// image pulled here is in `docker images`, and back. Registry mirrors come from daemon.json's
// "cri": {"registry-mirrors": ...}.
#pragma once
#include "cri/api.grpc.pb.h"
#include "engine/daemon.hpp"

namespace berth::cri {

class ImageService final : public ::runtime::v1::ImageService::Service {
 public:
  explicit ImageService(engine::Daemon& d) : d_(d) {}

  grpc::Status ListImages(grpc::ServerContext*, const ::runtime::v1::ListImagesRequest*,
                          ::runtime::v1::ListImagesResponse*) override;
  // A missing image is an empty response (no image), not an error, as the CRI asks.
  grpc::Status ImageStatus(grpc::ServerContext*, const ::runtime::v1::ImageStatusRequest*,
                           ::runtime::v1::ImageStatusResponse*) override;
  grpc::Status PullImage(grpc::ServerContext*, const ::runtime::v1::PullImageRequest*,
                         ::runtime::v1::PullImageResponse*) override;
  // Removes the image with all its tags; a missing image is not an error.
  grpc::Status RemoveImage(grpc::ServerContext*, const ::runtime::v1::RemoveImageRequest*,
                           ::runtime::v1::RemoveImageResponse*) override;
  grpc::Status ImageFsInfo(grpc::ServerContext*, const ::runtime::v1::ImageFsInfoRequest*,
                           ::runtime::v1::ImageFsInfoResponse*) override;

 private:
  engine::Daemon& d_;
};

}  // namespace berth::cri
