// Image errors in dockerd's words: "No such image: busybox:latest" for a missing image, and the
// image library's context stripped from conflicts ("unable to delete ... (must be forced) ...").
#pragma once
#include <string>

#include "common/error.hpp"

namespace berth::api {

// dockerd's 404 text for a missing image named `name` (a tag gets its ":latest").
Error no_such_image(std::string_view name);
// err without a leading "<context>: " that the image library added.
Error without_context(Error err, std::string_view context);

}  // namespace berth::api
