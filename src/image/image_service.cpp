#include "image/image_service.hpp"

#include <algorithm>
#include <atomic>
#include <thread>
#include <set>

#include "common/fs.hpp"
#include "image/layer_apply.hpp"
#include "image/reference.hpp"

namespace berth::image {

ImageService::~ImageService() = default;

Result<std::unique_ptr<ImageService>> ImageService::open(const std::string& root) {
  std::unique_ptr<ImageService> s(new ImageService());
  s->root_ = root;
  BERTH_CHECK(mkdir_p(root, 0711), "open image store");
  BERTH_CHECK(mkdir_p(root + "/tmp", 0700), "open image store");
  auto cs = BERTH_TRY(FileContentStore::open(root + "/content"), "open image store");
  s->content_ = std::move(cs);
  s->snap_ = BERTH_TRY(OverlaySnapshotter::open(root + "/overlay"), "open image store");
  s->store_ = BERTH_TRY(ImageStore::open(root + "/images.db"), "open image store");
  return s;
}

namespace {

Result<std::string> normalise_tag(std::string_view name) {
  auto r = BERTH_TRY(Reference::parse(name), "tag");
  if (r.digest && r.tag.empty()) return fail(ErrorKind::Invalid, "tag \"" + std::string(name) + "\": a digest is not a tag");
  return r.familiar_tagged();
}

bool all_hex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

Result<bool> ImageService::unpack_layer(const Descriptor& blob, const Digest& diff_id, const Digest& chain,
                                        const std::optional<Digest>& parent) {
  if (snap_->has_layer(chain)) return false;
  auto fd = BERTH_TRY(content_->open(blob.digest), "unpack layer");
  ApplyOptions ao;
  ao.expected_diff_id = diff_id;
  ao.expected_blob_digest = blob.digest;
  bool created = false;
  auto fill = [&](const std::string& dir) -> Result<> {
    auto r = BERTH_TRY(apply_layer(fd.get(), dir, ao), "");
    std::lock_guard lk(sizes_mu_);
    sizes_[chain] = static_cast<int64_t>(r.uncompressed_size);
    created = true;
    return {};
  };
  BERTH_CHECK(snap_->create_layer(chain, parent, fill), "unpack layer " + blob.digest.short_id());
  return created;
}

void ImageService::discard_layers(const std::vector<Digest>& chains) {
  std::lock_guard lk(mu_);
  for (auto it = chains.rbegin(); it != chains.rend(); ++it)
    if (store_->layer_refcount(*it).value_or(1) == 0 && snap_->has_layer(*it)) (void)snap_->remove_layer(*it);
}

Result<ImageRecord> ImageService::register_image(const Digest& manifest_digest, const RegisterOptions& opts) {
  std::string ctx = "register image " + manifest_digest.str();
  auto mbytes = BERTH_TRY(content_->read(manifest_digest), ctx);
  auto man = BERTH_TRY(parse_manifest(mbytes), ctx);
  auto cbytes = BERTH_TRY(content_->read(man.config.digest), ctx + ": config");
  auto cfg = BERTH_TRY(parse_config(cbytes), ctx);
  if (man.layers.size() != cfg.diff_ids.size())
    return fail(ErrorKind::Invalid, ctx + ": manifest has " + std::to_string(man.layers.size()) +
                                        " layers but config rootfs.diff_ids has " + std::to_string(cfg.diff_ids.size()));
  std::vector<std::string> tags;
  for (auto& t : opts.tags) tags.push_back(BERTH_TRY(normalise_tag(t), ctx));
  auto chains = chain_ids(cfg.diff_ids);

  // Unpack what is missing, several layers at once; each layer has its own directory.
  std::vector<Digest> created;
  std::mutex cmu;
  std::optional<Error> first;
  std::atomic<size_t> next{0};
  auto worker = [&] {
    while (true) {
      size_t i = next++;
      if (i >= man.layers.size()) return;
      {
        std::lock_guard lk(cmu);
        if (first) return;
      }
      std::optional<Digest> parent;
      if (i > 0) parent = chains[i - 1];
      auto r = unpack_layer(man.layers[i], cfg.diff_ids[i], chains[i], parent);
      std::lock_guard lk(cmu);
      if (!r && !first) first = r.error().wrap("layer " + std::to_string(i));
      if (r && *r) created.push_back(chains[i]);
    }
  };
  int n = std::max(1, std::min<int>(opts.parallel, static_cast<int>(man.layers.size())));
  if (n == 1) {
    worker();
  } else {
    std::vector<std::thread> ts;
    for (int i = 0; i < n; ++i) ts.emplace_back(worker);
    for (auto& t : ts) t.join();
  }
  if (first) {
    discard_layers(created);
    return fail(first->wrap(ctx));
  }

  ImageRecord rec;
  rec.id = man.config.digest;
  rec.manifest_digest = manifest_digest;
  rec.manifest_media_type = man.media_type;
  rec.created = cfg.created;
  rec.os = cfg.os;
  rec.architecture = cfg.architecture;
  rec.repo_tags = tags;
  rec.repo_digests = opts.repo_digests;
  rec.extra_blobs = opts.extra_blobs;
  for (size_t i = 0; i < man.layers.size(); ++i) {
    const auto& l = man.layers[i];
    LayerRecord lr{chains[i], cfg.diff_ids[i], l.digest, l.media_type, l.size, 0};
    {
      std::lock_guard lk(sizes_mu_);
      if (auto it = sizes_.find(chains[i]); it != sizes_.end()) lr.size = it->second;
    }
    if (lr.size == 0) lr.size = BERTH_TRY(store_->layer_size(chains[i]), ctx).value_or(0);
    rec.size += lr.size;
    rec.layers.push_back(lr);
  }
  std::lock_guard lk(mu_);
  auto put = store_->put_image(rec);
  if (!put) {
    discard_layers(created);
    return fail(put.error().wrap(ctx));
  }
  return store_->get(rec.id);
}

Result<Digest> ImageService::resolve(std::string_view name) const {
  std::string n(name);
  if (n.rfind("sha256:", 0) == 0) {
    auto d = BERTH_TRY(Digest::parse(n), "resolve image");
    if (store_->get(d)) return d;
    n = d.hex();  // fall through to the prefix lookup for a clearer error
  }
  auto ref = Reference::parse(n);
  if (ref) {
    std::optional<Digest> hit;
    if (ref->digest)
      hit = BERTH_TRY(store_->lookup_repo_digest(ref->familiar_name() + "@" + ref->digest->str()), "resolve image");
    else
      hit = BERTH_TRY(store_->lookup_tag(ref->familiar_tagged()), "resolve image");
    if (hit) return *hit;
  }
  if (all_hex(n) && n.size() <= 64) {
    auto ids = BERTH_TRY(store_->find_by_prefix(n), "resolve image");
    if (ids.size() == 1) return ids[0];
    if (ids.size() > 1) return fail(ErrorKind::Invalid, "image ID prefix \"" + n + "\" is ambiguous");
  }
  return fail(ErrorKind::NotFound, "No such image: " + std::string(name));
}

Result<ImageRecord> ImageService::inspect(std::string_view name) const {
  auto id = BERTH_TRY(resolve(name), "");
  return store_->get(id);
}

Result<std::string> ImageService::config_json(const Digest& id) const { return content_->read(id); }

Result<std::vector<HistoryEntry>> ImageService::history(std::string_view name) const {
  auto id = BERTH_TRY(resolve(name), "");
  auto cfg = BERTH_TRY(parse_config(BERTH_TRY(content_->read(id), "history")), "history");
  return cfg.history;
}

Result<> ImageService::tag(std::string_view source, std::string_view target) {
  auto id = BERTH_TRY(resolve(source), "tag");
  auto t = BERTH_TRY(normalise_tag(target), "");
  std::lock_guard lk(mu_);
  return store_->tag(t, id);
}

Result<> ImageService::delete_image_locked(const Digest& id, RemoveResult& out) {
  auto users = BERTH_TRY(store_->snapshots_on_image(id), "remove image");
  if (!users.empty())
    return fail(ErrorKind::Conflict, "unable to delete " + id.short_id() + ": image is in use by container " + users[0]);
  auto rec = BERTH_TRY(store_->get(id), "remove image");
  BERTH_CHECK(store_->delete_image(id), "remove image");
  for (auto& t : rec.repo_tags) out.untagged.push_back(t);
  for (auto& d : rec.repo_digests) out.untagged.push_back(d);
  out.deleted.push_back(id);
  return {};
}

Result<RemoveResult> ImageService::remove(std::string_view name, bool force, bool prune_parents) {
  std::lock_guard lk(mu_);
  RemoveResult out;
  auto id = BERTH_TRY(resolve(name), "remove image");
  auto rec = BERTH_TRY(store_->get(id), "remove image");
  auto ref = Reference::parse(name);
  bool by_tag = ref && !ref->digest && std::find(rec.repo_tags.begin(), rec.repo_tags.end(),
                                                  ref->familiar_tagged()) != rec.repo_tags.end();
  if (by_tag && rec.repo_tags.size() > 1) {
    BERTH_CHECK(store_->untag(ref->familiar_tagged()), "remove image");
    out.untagged.push_back(ref->familiar_tagged());
    return out;
  }
  if (!by_tag && rec.repo_tags.size() > 1 && !force)
    return fail(ErrorKind::Conflict, "unable to delete " + id.short_id() +
                                         " (must be forced) - image is referenced in multiple repositories");
  auto users = BERTH_TRY(store_->snapshots_on_image(id), "remove image");
  bool has_children = !BERTH_TRY(store_->children(id), "remove image").empty();
  if ((!users.empty() || has_children) && by_tag) {
    // Docker keeps an image a container or a child image uses; the tag alone goes.
    BERTH_CHECK(store_->untag(ref->familiar_tagged()), "remove image");
    out.untagged.push_back(ref->familiar_tagged());
    return out;
  }
  if (has_children)
    return fail(ErrorKind::Conflict,
                "unable to delete " + id.short_id() + " (cannot be forced) - image has dependent child images");
  BERTH_CHECK(delete_image_locked(id, out), "");
  if (prune_parents) BERTH_CHECK(prune_parents_locked(rec.parent, out), "remove image");
  BERTH_CHECK(gc_locked(), "remove image");
  return out;
}

Result<bool> ImageService::unused_locked(const Digest& id) {
  return BERTH_TRY(store_->snapshots_on_image(id), "").empty() && BERTH_TRY(store_->children(id), "").empty();
}

Result<> ImageService::prune_parents_locked(std::optional<Digest> parent, RemoveResult& out) {
  while (parent) {
    auto rec = store_->get(*parent);
    if (!rec || !rec->repo_tags.empty() || !rec->repo_digests.empty()) return {};
    if (!BERTH_TRY(unused_locked(*parent), "")) return {};
    BERTH_CHECK(delete_image_locked(*parent, out), "");
    parent = rec->parent;
  }
  return {};
}

Result<RemoveResult> ImageService::prune(bool all) {
  std::lock_guard lk(mu_);
  RemoveResult out;
  auto imgs = BERTH_TRY(store_->list(), "prune");
  // One pass suffices: deleting an image walks up its parents, so a parent shared by several
  // images goes with the last of them.
  for (auto& listed : imgs) {
    auto img = store_->get(listed.id);
    if (!img) continue;  // deleted with a child earlier in the pass
    if (!img->repo_tags.empty() && !all) continue;
    if (!BERTH_TRY(store_->snapshots_on_image(img->id), "prune").empty()) continue;
    if (!BERTH_TRY(store_->children(img->id), "prune").empty()) {
      if (!all) continue;
      for (auto& t : img->repo_tags) {
        BERTH_CHECK(store_->untag(t), "prune");
        out.untagged.push_back(t);
      }
      continue;
    }
    BERTH_CHECK(delete_image_locked(img->id, out), "prune");
    BERTH_CHECK(prune_parents_locked(img->parent, out), "prune");
  }
  BERTH_CHECK(gc_locked(), "prune");
  return out;
}

Result<> ImageService::set_parent(const Digest& id, const Digest& parent) {
  std::lock_guard lk(mu_);
  return store_->set_parent(id, parent);
}

Result<GcResult> ImageService::gc() {
  std::lock_guard lk(mu_);
  return gc_locked();
}

Result<GcResult> ImageService::gc_locked() {
  GcResult out;
  auto chains = BERTH_TRY(store_->referenced_chains(), "gc");
  std::set<Digest> keep(chains.begin(), chains.end());
  for (auto& l : BERTH_TRY(snap_->layers(), "gc")) {
    if (keep.count(l)) continue;
    BERTH_CHECK(snap_->remove_layer(l), "gc");
    out.layers_removed.push_back(l);
  }
  auto blobs = BERTH_TRY(store_->referenced_blobs(), "gc");
  std::set<Digest> keepb(blobs.begin(), blobs.end());
  for (auto& b : BERTH_TRY(content_->list(), "gc")) {
    if (keepb.count(b)) continue;
    BERTH_CHECK(content_->remove(b), "gc");
    out.blobs_removed.push_back(b);
  }
  return out;
}

}  // namespace berth::image
