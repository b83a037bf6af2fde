#include "engine/build_step_image.hpp"

#include "common/json_util.hpp"
#include "image/image_model.hpp"

namespace berth::engine {

using nlohmann::json;

Result<json> image_config_of(image::ImageService& images, const std::optional<image::Digest>& parent) {
  if (!parent)
    return json{{"architecture", "amd64"},
                {"os", "linux"},
                {"config", json::object()},
                {"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}},
                {"history", json::array()}};
  auto cfg = BERTH_TRY(parse_json(BERTH_TRY(images.content().read(*parent), "image " + parent->str()), "image config"),
                       "image " + parent->str());
  if (!cfg.contains("history") || !cfg["history"].is_array()) cfg["history"] = json::array();
  return cfg;
}

Result<image::ImageRecord> make_step_image(image::ImageService& images, const std::optional<image::Digest>& parent,
                                           const StepImage& step) {
  std::string ctx = "build step image";
  json cfg = BERTH_TRY(image_config_of(images, parent), ctx);
  std::vector<image::Descriptor> layers;
  std::string mt = image::media::oci_manifest;
  if (parent) {
    auto rec = BERTH_TRY(images.store().get(*parent), ctx);
    auto man = BERTH_TRY(image::parse_manifest(BERTH_TRY(images.content().read(rec.manifest_digest), ctx)), ctx);
    layers = man.layers;
    mt = man.media_type;
  }
  std::string now = image::now_rfc3339();
  json h = {{"created", now}, {"created_by", step.created_by}};
  std::vector<image::Digest> stored;
  if (step.layer_dir) {
    auto w = BERTH_TRY(images.content().writer(), ctx);
    image::DiffOptions d;
    d.overlay_whiteouts = false;
    auto diff = BERTH_TRY(image::write_layer_tar(*step.layer_dir, [&](std::string_view b) { return w->write(b); }, d), ctx);
    image::Descriptor layer;
    layer.media_type = mt == image::media::docker_manifest ? image::media::docker_layer : image::media::oci_layer;
    layer.size = static_cast<int64_t>(diff.size);
    layer.digest = BERTH_TRY(w->commit(diff.diff_id), ctx);
    stored.push_back(layer.digest);
    layers.push_back(layer);
    cfg["rootfs"]["diff_ids"].push_back(diff.diff_id.str());
  } else {
    h["empty_layer"] = true;
  }
  if (!step.author.empty()) {
    h["author"] = step.author;
    cfg["author"] = step.author;
  }
  cfg["config"] = step.config;
  cfg["created"] = now;
  cfg["history"].push_back(h);
  std::string bytes = cfg.dump();
  auto man = images.put_image_documents(bytes, layers, mt);
  if (!man) {
    images.discard_unreferenced(stored);
    return fail(man.error().wrap(ctx));
  }
  auto rec = images.register_image(*man);
  if (!rec) {
    stored.push_back(*man);
    stored.push_back(image::Digest::of(bytes));
    images.discard_unreferenced(stored);
    return fail(rec.error().wrap(ctx));
  }
  return rec;
}

}  // namespace berth::engine
