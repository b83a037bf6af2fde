// The build cache: a small SQLite table (<data root>/build-cache.db) from a step's key to the
// image that step made. A key is the sha256 of the parent image ID, the instruction as it ran
// (words expanded), the build args in effect and, for COPY/ADD, the checksum of exactly the
// files read; so a step hits only on an identical parent, and a changed file misses from its
// COPY on (its image differs, so every later key does too). Each step's image is an untagged
// image in the image store (as dockerd's classic builder keeps them); an entry whose image is
// gone is a miss. A table rather than dockerd's parent-link scan: one indexed lookup per step.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace berth::engine {

class BuildCache {
 public:
  static Result<std::unique_ptr<BuildCache>> open(const std::string& path);
  ~BuildCache();

  Result<std::optional<std::string>> lookup(const std::string& key);
  Result<> put(const std::string& key, const std::string& image_id);
  // Every image the cache points at (for `system df` and prune).
  Result<std::vector<std::string>> images();
  // Forgets the entries (all of them): returns the images they pointed at.
  Result<std::vector<std::string>> clear();
  // Forgets the entries that point at these images (deleted by rmi or image prune), so no
  // entry outlives its image.
  Result<> forget(const std::vector<std::string>& image_ids);

 private:
  struct Db;
  explicit BuildCache(std::unique_ptr<Db> db);
  std::unique_ptr<Db> db_;
};

}  // namespace berth::engine
