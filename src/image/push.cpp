#include "image/distribution.hpp"
#include "image/reference.hpp"

namespace berth::image {

namespace {

// Another repository on the same registry that already holds blob d (from our repo digests).
std::optional<std::string> mount_source(ImageService& svc, const Reference& target, const Digest& d) {
  auto imgs = svc.store().list();
  if (!imgs) return std::nullopt;
  for (auto& img : *imgs) {
    bool has = img.id == d;
    for (auto& l : img.layers) has |= l.blob == d;
    if (!has) continue;
    for (auto& rd : img.repo_digests) {
      auto r = Reference::parse(rd);
      if (r && r->domain == target.domain && r->path != target.path) return r->path;
    }
  }
  return std::nullopt;
}

}  // namespace

Result<Digest> push_image(ImageService& svc, const std::string& name, const std::string& target,
                          const PushOptions& opts) {
  auto id = BERTH_TRY(svc.resolve(name), "push");
  auto ref = BERTH_TRY(Reference::parse(target.empty() ? name : target), "push");
  if (ref.digest) return fail(ErrorKind::Invalid, "push " + ref.str() + ": cannot push to a digest reference");
  std::string ctx = "push " + ref.str();
  auto rec = BERTH_TRY(svc.store().get(id), ctx);
  auto mbytes = BERTH_TRY(svc.content().read(rec.manifest_digest), ctx);
  auto man = BERTH_TRY(parse_manifest(mbytes), ctx);
  RegistryClient rc(ref.domain, opts.registry);
  auto report = [&](const Progress& p) { return !opts.progress || opts.progress(p); };

  std::vector<Descriptor> blobs = man.layers;
  blobs.push_back(man.config);
  for (auto& b : blobs) {
    std::string sid = b.digest.short_id();
    if (!report({sid, "Preparing", 0, 0})) return fail(ErrorKind::Conflict, ctx + ": cancelled");
    if (BERTH_TRY(rc.blob_exists(ref.path, b.digest), ctx)) {
      report({sid, "Layer already exists", 0, 0});
      continue;
    }
    if (auto from = mount_source(svc, ref, b.digest)) {
      if (BERTH_TRY(rc.mount_blob(ref.path, *from, b.digest), ctx)) {
        report({sid, "Mounted from " + *from, 0, 0});
        continue;
      }
    }
    auto fd = BERTH_TRY(svc.content().open(b.digest), ctx);
    auto size = BERTH_TRY(svc.content().size(b.digest), ctx);
    BERTH_CHECK(rc.upload_blob(ref.path, b.digest, fd.get(), size,
                               [&](uint64_t cur, uint64_t total) { report({sid, "Pushing", cur, total}); }),
                ctx);
    report({sid, "Pushed", size, size});
  }
  auto digest = BERTH_TRY(rc.put_manifest(ref.path, ref.tag.empty() ? "latest" : ref.tag, mbytes,
                                          man.media_type), ctx);
  report({ref.tag.empty() ? "latest" : ref.tag, "digest: " + digest.str() + " size: " + std::to_string(mbytes.size()), 0, 0});
  // Remember where it went: the repo digest, and a source for later cross-repository mounts.
  ImageRecord upd = rec;
  upd.repo_tags.clear();
  upd.repo_digests = {ref.familiar_name() + "@" + digest.str()};
  BERTH_CHECK(svc.store().put_image(upd), ctx);
  return digest;
}

}  // namespace berth::image
