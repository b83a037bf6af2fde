// Container root filesystems: a writable snapshot over an image's layers, its commit into a new
// layer, and export of the merged tree.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "common/fs.hpp"
#include "common/json_util.hpp"
#include "image/image_service.hpp"

namespace berth::image {

using nlohmann::json;

Result<> ImageService::create_rootfs(const std::string& key, std::string_view image) {
  std::optional<Digest> id, top;
  if (!image.empty()) {
    id = BERTH_TRY(resolve(image), "create rootfs " + key);
    auto rec = BERTH_TRY(store_->get(*id), "create rootfs " + key);
    if (!rec.layers.empty()) top = rec.layers.back().chain_id;
  }
  std::lock_guard lk(mu_);
  BERTH_CHECK(snap_->prepare(key, top), "create rootfs");
  auto r = store_->add_snapshot(key, id, top);
  if (!r) {
    (void)snap_->remove(key);
    return fail(r.error().wrap("create rootfs"));
  }
  return {};
}

Result<> ImageService::mount_rootfs(const std::string& key, const std::string& target, const MountOptions& o) {
  return snap_->mount(key, target, o);
}

Result<> ImageService::unmount_rootfs(const std::string& target) { return snap_->unmount(target); }

Result<> ImageService::remove_rootfs(const std::string& key) {
  std::lock_guard lk(mu_);
  BERTH_CHECK(snap_->remove(key), "remove rootfs");
  BERTH_CHECK(store_->remove_snapshot(key), "remove rootfs");
  return {};
}

Result<std::vector<std::string>> ImageService::rootfs_lower_dirs(const std::string& key) const {
  auto top = BERTH_TRY(snap_->parent_of(key), "lower dirs of " + key);
  if (!top) return std::vector<std::string>{};
  return snap_->lower_stack(*top);
}

Result<ImageRecord> ImageService::commit(const std::string& key, const CommitOptions& opts) {
  std::string ctx = "commit " + key;
  auto upper = BERTH_TRY(snap_->upper_dir(key), ctx);
  auto base_id = BERTH_TRY(store_->snapshot_image(key), ctx);
  json cfg;
  std::vector<Descriptor> layers;
  std::string mt = media::oci_manifest;
  if (base_id) {
    cfg = BERTH_TRY(parse_json(BERTH_TRY(content_->read(*base_id), ctx), "image config"), ctx);
    auto rec = BERTH_TRY(store_->get(*base_id), ctx);
    auto man = BERTH_TRY(parse_manifest(BERTH_TRY(content_->read(rec.manifest_digest), ctx)), ctx);
    layers = man.layers;
    mt = man.media_type;
  } else {
    cfg = {{"architecture", "amd64"}, {"os", "linux"}, {"config", json::object()},
           {"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}}};
  }
  auto w = BERTH_TRY(content_->writer(), ctx);
  DiffOptions d;
  d.uid_map = opts.uid_map;
  d.gid_map = opts.gid_map;
  auto diff = BERTH_TRY(write_layer_tar(upper, [&](std::string_view b) { return w->write(b); }, d), ctx);
  Descriptor layer;
  layer.media_type = mt == media::docker_manifest ? media::docker_layer : media::oci_layer;
  layer.size = static_cast<int64_t>(diff.size);
  layer.digest = BERTH_TRY(w->commit(diff.diff_id), ctx);
  layers.push_back(layer);
  if (!opts.config_json.empty()) cfg["config"] = BERTH_TRY(parse_json(opts.config_json, "commit config"), ctx);
  std::string now = now_rfc3339();
  cfg["created"] = now;
  cfg["rootfs"]["diff_ids"].push_back(diff.diff_id.str());
  json h = {{"created", now}, {"created_by", opts.created_by.empty() ? "berth commit" : opts.created_by}};
  if (!opts.comment.empty()) h["comment"] = opts.comment;
  if (!opts.author.empty()) {
    h["author"] = opts.author;
    cfg["author"] = opts.author;
  }
  if (!cfg.contains("history") || !cfg["history"].is_array()) cfg["history"] = json::array();
  cfg["history"].push_back(h);
  auto man = BERTH_TRY(put_image_documents(cfg.dump(), layers, mt), ctx);
  RegisterOptions ro;
  if (!opts.tag.empty()) ro.tags.push_back(opts.tag);
  return register_image(man, ro);
}

Result<DiffResult> ImageService::export_rootfs(const std::string& key, const ByteSink& sink) {
  static std::atomic<unsigned> n{0};
  std::string ctx = "export " + key;
  std::string mnt = root_ + "/tmp/export-" + std::to_string(getpid()) + "-" + std::to_string(n++);
  if (mkdir(mnt.c_str(), 0700) != 0) return fail_sys(ctx + ": mkdir " + mnt);
  auto m = snap_->mount_view(key, mnt);
  if (!m) {
    rmdir(mnt.c_str());
    return fail(m.error().wrap(ctx));
  }
  DiffOptions d;
  d.overlay_whiteouts = false;
  auto r = write_layer_tar(mnt, sink, d);
  (void)snap_->unmount(mnt);
  rmdir(mnt.c_str());
  if (!r) return fail(r.error().wrap(ctx));
  return r;
}

}  // namespace berth::image
