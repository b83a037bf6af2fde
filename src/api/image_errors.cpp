#include "api/image_errors.hpp"

#include "image/reference.hpp"

namespace berth::api {

Error no_such_image(std::string_view name) {
  std::string shown(name);
  if (auto ref = image::Reference::parse(name)) shown = ref->digest ? ref->str() : ref->familiar_tagged();
  // Image IDs (full or short hex) are shown as given.
  if (name.find_first_not_of("0123456789abcdef") == std::string_view::npos || std::string(name).starts_with("sha256:"))
    shown = name;
  return make_error(ErrorKind::NotFound, "No such image: " + shown);
}

Error without_context(Error err, std::string_view context) {
  std::string prefix = std::string(context) + ": ";
  while (err.message.starts_with(prefix)) err.message.erase(0, prefix.size());
  return err;
}

}  // namespace berth::api
