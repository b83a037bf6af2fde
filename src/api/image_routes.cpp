// /images/json, /images/{name}/json, history, tag, DELETE, prune, search.
#include <fnmatch.h>

#include <nlohmann/json.hpp>
#include <set>

#include "api/image_errors.hpp"
#include "api/image_json.hpp"
#include "api/response.hpp"
#include "api/routes.hpp"
#include "common/log.hpp"
#include "engine/filters.hpp"
#include "image/reference.hpp"

namespace berth::api {

using nlohmann::json;

namespace {

// The image's ID, or dockerd's 404.
Result<image::Digest> resolve(engine::Daemon& d, std::string_view name) {
  auto id = d.images().resolve(name);
  if (!id) {
    if (id.error().kind == ErrorKind::NotFound) return fail(no_such_image(name));
    return fail(id.error());
  }
  return *id;
}

bool ref_matches(const std::string& pattern, const std::string& tag) {
  auto ref = image::Reference::parse(tag);
  if (!ref) return false;
  for (const std::string& s : {ref->familiar_name(), ref->str(), tag})
    if (fnmatch(pattern.c_str(), s.c_str(), FNM_PATHNAME) == 0) return true;
  return false;
}

Result<> list_images(Exchange& ex, engine::Daemon& d) {
  auto& req = ex.request();
  static const std::set<std::string> keys = {"reference", "dangling", "label", "before", "since", "until"};
  auto f = BERTH_TRY(engine::Filters::parse(req.query_value("filters").value_or(""), keys), "");
  auto dangling = BERTH_TRY(f.get_bool("dangling"), "");
  auto images = BERTH_TRY(d.images().list(), "list images");
  // before/since name images; dockerd compares creation times.
  auto bound = [&](const char* key) -> Result<std::optional<int64_t>> {
    if (!f.has(key)) return std::optional<int64_t>{};
    auto rec = d.images().inspect(*f.get(key).begin());
    if (!rec) return fail(no_such_image(*f.get(key).begin()));
    return std::optional<int64_t>(unix_seconds(rec->created));
  };
  auto before = BERTH_TRY(bound("before"), "");
  auto since = BERTH_TRY(bound("since"), "");
  std::optional<int64_t> until;
  if (f.has("until")) until = BERTH_TRY(engine::parse_event_time(*f.get("until").begin()), "") / 1000000000;
  json out = json::array();
  std::map<std::string, int> users_of;
  bool with_shared = req.query_bool("shared-size");
  if (with_shared) users_of = layer_users(images);
  // Intermediate images (untagged, with children: a build's steps) are listed only with all=1,
  // and never as dangling, as dockerd lists them.
  bool all = req.query_bool("all");
  for (auto& rec : images) {
    if (rec.repo_tags.empty() && (!all || (dangling && *dangling)) &&
        !BERTH_TRY(d.images().store().children(rec.id), "list images").empty())
      continue;
    if (dangling && (*dangling != rec.repo_tags.empty())) continue;
    int64_t created = unix_seconds(rec.created);
    if ((before && created >= *before) || (since && created <= *since) || (until && created > *until)) continue;
    if (f.has("reference")) {
      std::vector<std::string> kept;
      for (auto& t : rec.repo_tags)
        for (auto& p : f.get("reference"))
          if (ref_matches(p, t)) {
            kept.push_back(t);
            break;
          }
      if (kept.empty()) continue;
      rec.repo_tags = kept;
    }
    auto config = image_config(d.images(), rec);
    if (!f.match_labels("label", image_labels(config).get<std::map<std::string, std::string>>())) continue;
    out.push_back(image_summary(rec, config, req.api_version));
    if (with_shared) out.back()["SharedSize"] = shared_size(rec, users_of);
  }
  // Newest first, as dockerd sorts.
  std::stable_sort(out.begin(), out.end(), [](const json& a, const json& b) { return a["Created"] > b["Created"]; });
  return reply_json(ex, 200, out);
}

Result<> inspect_image(Exchange& ex, engine::Daemon& d) {
  auto name = ex.request().param("name");
  BERTH_CHECK(resolve(d, name), "");
  auto rec = BERTH_TRY(d.images().inspect(name), "");
  return reply_json(ex, 200, image_inspect(d.images(), rec, image_config(d.images(), rec), ex.request().api_version));
}

Result<> history(Exchange& ex, engine::Daemon& d) {
  auto name = ex.request().param("name");
  BERTH_CHECK(resolve(d, name), "");
  return reply_json(ex, 200, BERTH_TRY(image_history(d.images(), name), ""));
}

Result<> tag(Exchange& ex, engine::Daemon& d) {
  auto& req = ex.request();
  auto name = req.param("name");
  auto id = BERTH_TRY(resolve(d, name), "");
  std::string repo = req.query_value("repo").value_or(""), t = req.query_value("tag").value_or("");
  std::string target = repo + (t.empty() ? "" : ":" + t);
  auto ref = image::Reference::parse(target);
  if (!ref) return fail(ErrorKind::Invalid, ref.error().message);
  if (ref->digest) return fail(ErrorKind::Invalid, "refusing to create a tag with a digest reference");
  if (auto r = d.images().tag(name, target); !r) return fail(without_context(r.error(), "tag"));
  d.image_event("tag", id.str(), ref->familiar_tagged());
  return ex.reply(201, "text/plain; charset=utf-8", "");
}

// A deleted step image takes its build cache entries along: a rebuild reruns the step.
void forget_in_build_cache(engine::Daemon& d, const image::RemoveResult& r) {
  std::vector<std::string> ids;
  for (auto& id : r.deleted) ids.push_back(id.str());
  if (auto f = d.build_cache().forget(ids); !f) log::warn("build cache: " + f.error().what());
}

json remove_result_json(engine::Daemon& d, const image::RemoveResult& r, const std::string& id_for_untag) {
  json out = json::array();
  for (auto& u : r.untagged) {
    out.push_back({{"Untagged", u}});
    d.image_event("untag", id_for_untag, u);
  }
  for (auto& del : r.deleted) {
    out.push_back({{"Deleted", del.str()}});
    d.image_event("delete", del.str(), "");
  }
  return out;
}

Result<> remove_image(Exchange& ex, engine::Daemon& d) {
  auto& req = ex.request();
  auto name = req.param("name");
  auto id = BERTH_TRY(resolve(d, name), "");
  auto r = d.images().remove(name, req.query_bool("force"), !req.query_bool("noprune"));
  if (r) forget_in_build_cache(d, *r);
  if (!r) {
    auto e = without_context(r.error(), "remove image");
    // dockerd prefixes its conflicts so the user sees why nothing happened.
    if (e.kind == ErrorKind::Conflict && !e.message.starts_with("conflict: ")) e.message = "conflict: " + e.message;
    return fail(e);
  }
  return reply_json(ex, 200, remove_result_json(d, *r, id.str()));
}

Result<> prune_images(Exchange& ex, engine::Daemon& d) {
  static const std::set<std::string> keys = {"dangling", "label", "until"};
  auto f = BERTH_TRY(engine::Filters::parse(ex.request().query_value("filters").value_or(""), keys), "");
  if (f.has("label") || f.has("until"))
    return fail(ErrorKind::Invalid, "image prune: the label and until filters are not supported yet");
  auto dangling = BERTH_TRY(f.get_bool("dangling"), "");
  bool all = dangling && !*dangling;
  auto before = BERTH_TRY(d.images().list(), "prune images");
  auto r = BERTH_TRY(d.images().prune(all), "");
  forget_in_build_cache(d, r);
  auto after = BERTH_TRY(d.images().list(), "prune images");
  // Space reclaimed: layers that no remaining image uses any more.
  std::set<std::string> kept;
  for (auto& rec : after)
    for (auto& l : rec.layers) kept.insert(l.chain_id.str());
  std::map<std::string, int64_t> freed;
  for (auto& rec : before)
    for (auto& l : rec.layers)
      if (!kept.count(l.chain_id.str())) freed[l.chain_id.str()] = l.size;
  int64_t reclaimed = 0;
  for (auto& [_, s] : freed) reclaimed += s;
  json deleted = remove_result_json(d, r, "");
  engine::Event e{"image", "prune", "", {{"reclaimed", std::to_string(reclaimed)}}};
  d.events().publish(std::move(e));
  return reply_json(ex, 200, {{"ImagesDeleted", deleted.empty() ? json(nullptr) : deleted},
                              {"SpaceReclaimed", reclaimed}});
}

}  // namespace

void add_image_routes(Router& r, engine::Daemon& d) {
  r.add("GET", "/images/json", [&d](Exchange& ex) { return list_images(ex, d); });
  r.add("POST", "/images/prune", [&d](Exchange& ex) { return prune_images(ex, d); });
  r.add("GET", "/images/search", [](Exchange&) -> Result<> {
    return fail(ErrorKind::Unavailable,
                "search is not available: berth has no image index to search; pull images by name from a registry");
  });
  r.add("GET", "/images/{name*}/json", [&d](Exchange& ex) { return inspect_image(ex, d); });
  r.add("GET", "/images/{name*}/history", [&d](Exchange& ex) { return history(ex, d); });
  r.add("POST", "/images/{name*}/tag", [&d](Exchange& ex) { return tag(ex, d); });
  r.add("DELETE", "/images/{name*}", [&d](Exchange& ex) { return remove_image(ex, d); });
}

}  // namespace berth::api
