// An image of the shared store in the CRI's shape (runtime.v1.Image): ID, fully qualified repo
// tags and digests, size, the uid or user name of its USER, and its spec.
#pragma once
#include "common/error.hpp"
#include "cri/api.pb.h"
#include "image/image_service.hpp"

namespace berth::cri {

// verbose_info: when set, receives the verbose "info" (the image config) as JSON text.
Result<::runtime::v1::Image> cri_image(image::ImageService& svc, const image::ImageRecord& rec,
                                     std::string* verbose_info = nullptr);

}  // namespace berth::cri
