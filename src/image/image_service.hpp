// The image side of the engine in one place: content store + snapshotter + metadata. Everything
// that turns bytes into an image (pull, load, import, commit) ends in register_image(), which
// unpacks each layer once (checking diff IDs) and records the image in one transaction.
#pragma once
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "image/content_store.hpp"
#include "image/image_model.hpp"
#include "image/image_store.hpp"
#include "image/layer_diff.hpp"
#include "image/snapshotter.hpp"

namespace berth::image {

struct RegisterOptions {
  std::vector<std::string> tags;          // any form Reference::parse accepts
  int parallel = 3;                       // layers unpacked at once
  std::vector<std::string> repo_digests;  // "name@sha256:..."
  std::vector<Digest> extra_blobs;
};

struct RemoveResult {
  std::vector<std::string> untagged;
  std::vector<Digest> deleted;
};

struct GcResult {
  std::vector<Digest> layers_removed;
  std::vector<Digest> blobs_removed;
};

struct ImportOptions {
  std::string tag;      // optional
  std::string message;  // history comment
  Platform platform;    // recorded in the config
};

struct CommitOptions {
  std::string tag, comment, author, created_by;
  std::string config_json = {};  // the new image's "config" object; empty: the base image's
  std::vector<IdRangeMap> uid_map = {}, gid_map = {};  // a remapped container's (see DiffOptions)
};

class ImageService {
 public:
  // root defaults to /var/lib/berth: <root>/content, <root>/overlay, <root>/images.db.
  static Result<std::unique_ptr<ImageService>> open(const std::string& root = "/var/lib/berth");
  ~ImageService();

  ContentStore& content() { return *content_; }
  Snapshotter& snapshotter() { return *snap_; }
  ImageStore& store() { return *store_; }
  const std::string& root() const { return root_; }

  // The manifest, its config and layer blobs must be in the content store.
  Result<ImageRecord> register_image(const Digest& manifest, const RegisterOptions& opts = {});
  // Unpacks one layer blob as `chain` unless it is there (checking blob digest and diff ID).
  // Returns true when this call created it.
  Result<bool> unpack_layer(const Descriptor& blob, const Digest& diff_id, const Digest& chain,
                            const std::optional<Digest>& parent);
  // Removes layers a failed operation created, unless something references them.
  void discard_layers(const std::vector<Digest>& chains);
  // A tag ("busybox", "x:1"), a digest reference ("x@sha256:..."), a full or short image ID.
  Result<Digest> resolve(std::string_view name) const;
  Result<ImageRecord> inspect(std::string_view name) const;
  Result<std::string> config_json(const Digest& id) const;
  Result<std::vector<HistoryEntry>> history(std::string_view name) const;
  Result<std::vector<ImageRecord>> list() const { return store_->list(); }
  Result<> tag(std::string_view source, std::string_view target);
  // By tag: untags, and deletes the image when no tag is left. By ID: deletes (force when it
  // has several tags). An image a snapshot uses is never deleted, nor one with children (by
  // tag it is only untagged). prune_parents: its untagged parents that nothing else uses go
  // too, as `docker rmi` does without --no-prune. Then garbage-collects.
  Result<RemoveResult> remove(std::string_view name, bool force = false, bool prune_parents = true);
  // As dockerd: deletes untagged images that have no children (a build's intermediate images
  // stay with the image built on them), then their untagged parents; with all, every image no
  // container uses (one with children is untagged, and goes once its children do). Then
  // garbage-collects.
  Result<RemoveResult> prune(bool all = false);
  // Records the image id was made on (a build step): see ImageStore::set_parent.
  Result<> set_parent(const Digest& id, const Digest& parent);
  // Removes unpacked layers and blobs no image or snapshot references.
  Result<GcResult> gc();

  // A root filesystem tarball (plain or compressed) or a directory, as a one-layer image.
  Result<ImageRecord> import(const std::string& path, const ImportOptions& opts = {});

  // Container root filesystems.
  Result<> create_rootfs(const std::string& key, std::string_view image);  // image "" = empty
  Result<> mount_rootfs(const std::string& key, const std::string& target, const MountOptions& o = {});
  Result<> unmount_rootfs(const std::string& target);
  Result<> remove_rootfs(const std::string& key);
  // Where the container's changes live (inspect's GraphDriver.Data.UpperDir, `ps -s`).
  Result<std::string> rootfs_upper_dir(const std::string& key) const { return snap_->upper_dir(key); }
  // Its read-only layers, top first (GraphDriver.Data.LowerDir).
  Result<std::vector<std::string>> rootfs_lower_dirs(const std::string& key) const;
  // The container's upper dir as a new layer on top of its image.
  Result<ImageRecord> commit(const std::string& key, const CommitOptions& opts = {});
  // The container's whole filesystem as one tar.
  Result<DiffResult> export_rootfs(const std::string& key, const ByteSink& sink);

  // Helpers shared by pull/load/import: put a manifest+config made by berth.
  Result<Digest> put_image_documents(const std::string& config_json, const std::vector<Descriptor>& layers,
                                     const std::string& manifest_media_type);
  // Removes blobs a failed operation stored, unless an image references them.
  void discard_unreferenced(const std::vector<Digest>& blobs);

 private:
  ImageService() = default;
  Result<> delete_image_locked(const Digest& id, RemoveResult& out);
  // Whether nothing holds the image: no snapshot sits on it and no image has it as parent.
  Result<bool> unused_locked(const Digest& id);
  // Deletes parent and its parents up the chain while they are untagged and unused.
  Result<> prune_parents_locked(std::optional<Digest> parent, RemoveResult& out);
  Result<GcResult> gc_locked();
  std::string root_;
  std::unique_ptr<ContentStore> content_;
  std::unique_ptr<OverlaySnapshotter> snap_;
  std::unique_ptr<ImageStore> store_;
  mutable std::recursive_mutex mu_;
  std::mutex sizes_mu_;
  std::map<Digest, int64_t> sizes_;  // uncompressed layer sizes seen by unpack_layer
};

}  // namespace berth::image
