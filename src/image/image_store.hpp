// Image metadata in SQLite (WAL): images and their layers, tags, repo digests, local parents, and which
// snapshots sit on which layer chain (the reference counts garbage collection reads).
// Every change is one transaction.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "image/digest.hpp"

namespace berth::image {

struct LayerRecord {
  Digest chain_id, diff_id, blob;
  std::string media_type;
  int64_t blob_size = 0;
  int64_t size = 0;  // uncompressed
};

struct ImageRecord {
  Digest id;  // the config digest, as Docker computes image IDs
  Digest manifest_digest;
  std::string manifest_media_type;
  std::string created, os, architecture;
  int64_t size = 0;  // sum of uncompressed layer sizes
  std::vector<LayerRecord> layers;
  std::vector<std::string> repo_tags;     // "busybox:latest"
  std::vector<std::string> repo_digests;  // "127.0.0.1:5000/busybox@sha256:..."
  std::vector<Digest> extra_blobs;        // e.g. the index a platform manifest was chosen from
  std::optional<Digest> parent;           // the image a build step or commit was made on (local only)
};

class ImageStore {
 public:
  static Result<std::unique_ptr<ImageStore>> open(const std::string& path);
  ~ImageStore();

  // Inserts or updates the image, its layers, and adds its tags (moving a tag off another image).
  Result<> put_image(const ImageRecord& img);
  Result<ImageRecord> get(const Digest& id) const;
  Result<std::vector<ImageRecord>> list() const;
  Result<std::optional<Digest>> lookup_tag(const std::string& name) const;
  Result<std::optional<Digest>> lookup_repo_digest(const std::string& name) const;
  // Image IDs whose hex starts with prefix.
  Result<std::vector<Digest>> find_by_prefix(const std::string& prefix) const;
  Result<> tag(const std::string& name, const Digest& id);
  Result<bool> untag(const std::string& name);
  Result<> delete_image(const Digest& id);
  // The local parent link dockerd keeps for built images: an untagged image with children is
  // an intermediate one (hidden from a plain listing, kept by a dangling prune).
  Result<> set_parent(const Digest& id, const Digest& parent);
  Result<std::vector<Digest>> children(const Digest& id) const;

  // Snapshots (container root filesystems) and the chain they sit on.
  Result<> add_snapshot(const std::string& key, const std::optional<Digest>& image,
                        const std::optional<Digest>& chain);
  Result<std::optional<Digest>> snapshot_image(const std::string& key) const;
  // The uncompressed size recorded for a chain by any image.
  Result<std::optional<int64_t>> layer_size(const Digest& chain) const;
  Result<> remove_snapshot(const std::string& key);
  Result<std::vector<std::string>> snapshots_on_image(const Digest& id) const;
  // Images using the chain plus snapshots whose stack contains it.
  Result<int64_t> layer_refcount(const Digest& chain) const;
  Result<std::vector<Digest>> referenced_chains() const;  // every chain an image or snapshot needs
  Result<std::vector<Digest>> referenced_blobs() const;   // manifests, configs, layer blobs of images

 private:
  struct Db;
  explicit ImageStore(std::unique_ptr<Db> db);
  std::unique_ptr<Db> db_;
};

}  // namespace berth::image
