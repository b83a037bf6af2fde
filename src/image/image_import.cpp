// Images berth makes itself: import of a root filesystem, and the manifest/config writing that
// import, commit and load share.
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/fd.hpp"
#include "common/fs.hpp"
#include "image/image_service.hpp"
#include "image/layer_apply.hpp"

namespace berth::image {

using nlohmann::json;

Result<Digest> ImageService::put_image_documents(const std::string& config, const std::vector<Descriptor>& layers,
                                                 const std::string& manifest_media_type) {
  auto cfg_digest = BERTH_TRY(content_->put(config), "store image config");
  Manifest m;
  m.media_type = manifest_media_type;
  m.config.media_type = manifest_media_type == media::docker_manifest ? media::docker_config : media::oci_config;
  m.config.digest = cfg_digest;
  m.config.size = static_cast<int64_t>(config.size());
  m.layers = layers;
  return content_->put(manifest_json(m));
}

Result<ImageRecord> ImageService::import(const std::string& path, const ImportOptions& opts) {
  std::string ctx = "import " + path;
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return fail_sys(ctx);
  auto w = BERTH_TRY(content_->writer(), ctx);
  Digest diff_id;
  if (S_ISDIR(st.st_mode)) {
    DiffOptions d;
    d.overlay_whiteouts = false;
    auto r = BERTH_TRY(write_layer_tar(path, [&](std::string_view b) { return w->write(b); }, d), ctx);
    diff_id = r.diff_id;
  } else {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return fail_sys(ctx);
    auto r = BERTH_TRY(decompress_layer(fd.get(), w.get()), ctx);
    diff_id = r.diff_id;
  }
  Descriptor layer;
  layer.media_type = media::oci_layer;
  layer.size = static_cast<int64_t>(w->written());
  layer.digest = BERTH_TRY(w->commit(diff_id), ctx);
  std::string now = now_rfc3339();
  json cfg = {{"architecture", opts.platform.architecture},
              {"os", opts.platform.os},
              {"created", now},
              {"config", json::object()},
              {"rootfs", {{"type", "layers"}, {"diff_ids", {diff_id.str()}}}},
              {"history", {{{"created", now}, {"created_by", "berth import"}}}}};
  if (!opts.platform.variant.empty()) cfg["variant"] = opts.platform.variant;
  if (!opts.message.empty()) cfg["history"][0]["comment"] = opts.message;
  auto man = BERTH_TRY(put_image_documents(cfg.dump(), {layer}, media::oci_manifest), ctx);
  RegisterOptions ro;
  if (!opts.tag.empty()) ro.tags.push_back(opts.tag);
  auto rec = register_image(man, ro);
  if (!rec) {
    discard_unreferenced({layer.digest, Digest::of(cfg.dump()), man});
    return fail(rec.error().wrap(ctx));
  }
  return rec;
}

void ImageService::discard_unreferenced(const std::vector<Digest>& blobs) {
  std::lock_guard lk(mu_);
  auto refs = store_->referenced_blobs();
  if (!refs) return;
  for (auto& b : blobs)
    if (std::find(refs->begin(), refs->end(), b) == refs->end()) (void)content_->remove(b);
}

}  // namespace berth::image
