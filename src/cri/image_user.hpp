// The user an image runs as, as the CRI reports it: the image config's USER ("1000",
// "nobody", "1000:1000") gives either a uid or a user name (the group part is not reported);
// no USER gives neither.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace berth::cri {

struct ImageUser {
  std::optional<int64_t> uid;
  std::string username;
};

ImageUser image_user(std::string_view user);

}  // namespace berth::cri
