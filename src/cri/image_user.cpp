#include "cri/image_user.hpp"

#include <charconv>

namespace berth::cri {

ImageUser image_user(std::string_view user) {
  ImageUser out;
  auto name = user.substr(0, user.find(':'));
  if (name.empty()) return out;
  int64_t uid = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), uid);
  if (ec == std::errc() && end == name.data() + name.size() && uid >= 0) out.uid = uid;
  else out.username = std::string(name);
  return out;
}

}  // namespace berth::cri
