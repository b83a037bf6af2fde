#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "image/distribution.hpp"
#include "image/reference.hpp"

namespace berth::image {

namespace {

// Serialises progress callbacks from the download threads and remembers a cancel.
struct Reporter {
  explicit Reporter(const ProgressFn& f) : fn(f) {}
  const ProgressFn& fn;
  std::mutex mu;
  std::atomic<bool> cancelled{false};
  bool report(const Progress& p) {
    if (cancelled) return false;
    if (!fn) return true;
    std::lock_guard lk(mu);
    if (!fn(p)) cancelled = true;
    return !cancelled;
  }
};

// Fetches d unless the store has it. The writer discards its bytes unless they verify.
Result<> fetch(ImageService& svc, RegistryClient& rc, const std::string& repo, const Descriptor& d, Reporter& rep) {
  std::string id = d.digest.short_id();
  if (svc.content().has(d.digest)) {
    rep.report({id, "Already exists", 0, 0});
    return {};
  }
  if (!rep.report({id, "Pulling fs layer", 0, static_cast<uint64_t>(d.size)}))
    return fail(ErrorKind::Conflict, "pull cancelled");
  auto w = BERTH_TRY(svc.content().writer(), "");
  BERTH_CHECK(rc.fetch_blob(repo, d.digest, d.size, *w,
                            [&](uint64_t cur, uint64_t total) { return rep.report({id, "Downloading", cur, total}); }),
              "");
  rep.report({id, "Download complete", static_cast<uint64_t>(d.size), static_cast<uint64_t>(d.size)});
  return {};
}

// Runs fetch-then-unpack on up to n threads, so downloads and unpacking overlap; the first
// error wins and stops handing out work.
Result<> fetch_all(ImageService& svc, RegistryClient& rc, const std::string& repo, const std::vector<Descriptor>& ds,
                   const ImageConfig& cfg, Reporter& rep, int n, std::vector<Digest>& created) {
  auto chains = chain_ids(cfg.diff_ids);
  if (chains.size() != ds.size())
    return fail(ErrorKind::Invalid, "manifest has " + std::to_string(ds.size()) +
                                        " layers but config rootfs.diff_ids has " + std::to_string(chains.size()));
  std::atomic<size_t> next{0};
  std::mutex emu;
  std::optional<Error> first;
  auto worker = [&] {
    while (true) {
      size_t i = next++;
      if (i >= ds.size()) return;
      {
        std::lock_guard lk(emu);
        if (first) return;
      }
      auto r = fetch(svc, rc, repo, ds[i], rep);
      if (r) {
        std::optional<Digest> parent;
        if (i > 0) parent = chains[i - 1];
        auto u = svc.unpack_layer(ds[i], cfg.diff_ids[i], chains[i], parent);
        std::lock_guard lk(emu);
        if (u && *u) created.push_back(chains[i]);
        if (!u) r = fail(u.error());
      }
      if (!r) {
        std::lock_guard lk(emu);
        if (!first) first = r.error();
        return;
      }
    }
  };
  std::vector<std::thread> threads;
  int count = std::max(1, std::min<int>(n, static_cast<int>(ds.size())));
  for (int i = 0; i < count; ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (first) return fail(*first);
  return {};
}

}  // namespace

Result<ImageRecord> pull_image(ImageService& svc, const std::string& refstr, const PullOptions& opts) {
  auto ref = BERTH_TRY(Reference::parse(refstr), "pull");
  std::string ctx = "pull " + ref.str();
  Reporter rep(opts.progress);

  // The first endpoint that serves the manifest serves the whole image. A mirror that fails
  // (down, without the image, refusing the credentials) hands over to the next one, and the
  // registry itself comes last; when all fail, the error names each attempt.
  std::vector<std::string> endpoints = opts.mirrors;
  endpoints.push_back("");
  std::unique_ptr<RegistryClient> client;
  std::optional<FetchedManifest> fetched;
  std::string attempts;
  for (auto& ep : endpoints) {
    RegistryOptions ro = opts.registry;
    ro.endpoint = ep;
    client = std::make_unique<RegistryClient>(ref.domain, ro);
    auto m = client->get_manifest(ref.path, ref.reference());
    if (m) {
      fetched = std::move(*m);
      break;
    }
    if (opts.mirrors.empty()) return fail(m.error().wrap(ctx));
    attempts += (attempts.empty() ? "" : "; ") + (ep.empty() ? ref.domain : "mirror " + ep) + ": " + m.error().what();
    if (&ep == &endpoints.back()) return fail(m.error().kind, ctx + ": " + attempts);
  }
  RegistryClient& rc = *client;
  auto top = std::move(*fetched);
  auto kind = BERTH_TRY(document_kind(top.media_type, top.bytes), ctx);
  RegisterOptions ro;
  Digest repo_digest = top.digest;
  FetchedManifest man = top;
  if (kind == DocumentKind::Index) {
    auto idx = BERTH_TRY(parse_index(top.bytes), ctx);
    auto pick = BERTH_TRY(select_platform(idx, opts.platform), ctx);
    man = BERTH_TRY(rc.get_manifest(ref.path, pick.digest.str()), ctx);
    BERTH_CHECK(svc.content().put(top.bytes, top.digest), ctx);
    ro.extra_blobs.push_back(top.digest);
  }
  auto parsed = BERTH_TRY(parse_manifest(man.bytes), ctx);
  BERTH_CHECK(fetch(svc, rc, ref.path, parsed.config, rep), ctx + ": config");
  auto cfg = BERTH_TRY(parse_config(BERTH_TRY(svc.content().read(parsed.config.digest), ctx)), ctx);
  std::vector<Digest> created;
  auto r = fetch_all(svc, rc, ref.path, parsed.layers, cfg, rep, opts.parallel, created);
  if (!r) {
    svc.discard_layers(created);
    return fail(rep.cancelled ? make_error(ErrorKind::Conflict, ctx + ": cancelled") : r.error().wrap(ctx));
  }
  // The manifest goes in last: a store never holds a manifest whose blobs are missing.
  BERTH_CHECK(svc.content().put(man.bytes, man.digest), ctx);
  if (!ref.tag.empty()) ro.tags.push_back(ref.familiar_tagged());
  ro.repo_digests.push_back(ref.familiar_name() + "@" + repo_digest.str());
  auto rec = svc.register_image(man.digest, ro);
  if (!rec) {
    svc.discard_layers(created);
    return fail(rec.error().wrap(ctx));
  }
  rep.report({ref.str(), "Digest: " + repo_digest.str(), 0, 0});
  return *rec;
}

ProgressFn text_progress(FILE* out) {
  auto last = std::make_shared<std::map<std::string, uint64_t>>();
  return [out, last](const Progress& p) {
    if (p.status == "Downloading" || p.status == "Pushing") {
      uint64_t step = p.total ? p.total / 10 : (1u << 20);
      uint64_t& prev = (*last)[p.id];
      if (step && p.current < prev + step && p.current != p.total) return true;
      prev = p.current;
      fprintf(out, "%s: %s %.1fMB/%.1fMB\n", p.id.c_str(), p.status.c_str(), p.current / 1e6, p.total / 1e6);
    } else {
      fprintf(out, "%s: %s\n", p.id.c_str(), p.status.c_str());
    }
    fflush(out);
    return true;
  };
}

}  // namespace berth::image
