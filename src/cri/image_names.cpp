#include "cri/image_names.hpp"

#include "image/reference.hpp"

namespace berth::cri {

std::string qualified_name(std::string_view familiar) {
  auto ref = image::Reference::parse(familiar);
  if (!ref) return std::string(familiar);
  std::string out = ref->domain + "/" + ref->path;
  if (ref->digest) return out + "@" + ref->digest->str();
  return out + ":" + (ref->tag.empty() ? "latest" : ref->tag);
}

}  // namespace berth::cri
