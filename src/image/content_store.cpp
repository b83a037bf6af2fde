#include "image/content_store.hpp"

namespace berth::image {

Result<Digest> ContentStore::put(std::string_view data, const std::optional<Digest>& expected) {
  auto w = BERTH_TRY(writer(), "store blob");
  BERTH_CHECK(w->write(data), "store blob");
  return w->commit(expected, data.size());
}

}  // namespace berth::image
