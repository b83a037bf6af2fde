#include "engine/container_commit.hpp"

#include "common/log.hpp"
#include "common/fs.hpp"
#include "engine/commit_changes.hpp"
#include "engine/userns_spec.hpp"
#include "image/reference.hpp"

namespace berth::engine {

using nlohmann::json;

namespace {

// dockerd's created_by: the container's command, joined.
std::string created_by(const json& cfg) {
  std::string out;
  if (cfg.contains("Cmd") && cfg["Cmd"].is_array())
    for (auto& a : cfg["Cmd"])
      if (a.is_string()) out += (out.empty() ? "" : " ") + a.get<std::string>();
  return out;
}

}  // namespace

Result<std::string> commit_container(ContainerService& containers, image::ImageService& images, std::string_view ref,
                                     const CommitRequest& req) {
  auto c = BERTH_TRY(containers.find(ref), "");
  json ccfg = json::parse(c.config_json, nullptr, false);
  if (!ccfg.is_object()) ccfg = json::object();
  // The request's own Config wins where it says something (dockerd's merge).
  json cfg = ccfg;
  if (req.config.is_object())
    for (auto& [k, v] : req.config.items())
      if (!v.is_null() && !(v.is_string() && v.get<std::string>().empty()) && !(v.is_array() && v.empty()) &&
          !(v.is_object() && v.empty()))
        cfg[k] = v;
  for (const char* k : {"HostConfig", "NetworkingConfig"}) cfg.erase(k);
  for (auto& ch : req.changes)
    if (!ch.empty()) BERTH_CHECK(apply_commit_change(cfg, ch), "");
  std::string tag;
  if (!req.repo.empty()) {
    tag = req.repo + ":" + (req.tag.empty() ? "latest" : req.tag);
    auto r = image::Reference::parse(tag);
    if (!r) return fail(ErrorKind::Invalid, r.error().message);
  } else if (!req.tag.empty()) {
    return fail(ErrorKind::Invalid, "tag requires a repository");
  }
  bool paused = false;
  if (req.pause && c.state == "running") {
    BERTH_CHECK(containers.pause(c.id), "commit");
    paused = true;
  }
  image::CommitOptions o;
  o.tag = tag;
  o.comment = req.comment;
  o.author = req.author;
  o.created_by = created_by(ccfg);
  o.config_json = cfg.dump();
  // A remapped container's files are its root's as the host sees them: the layer says root.
  if (auto text = read_file(path_join(containers.bundle_dir(c.id), "config.json"))) {
    auto spec = nlohmann::json::parse(*text, nullptr, false);
    o.uid_map = spec_id_map(spec, "uid");
    o.gid_map = spec_id_map(spec, "gid");
  }
  auto rec = images.commit(c.id, o);
  if (paused)
    if (auto u = containers.unpause(c.id); !u) log::warn("commit: " + u.error().what());
  if (!rec) return fail(rec.error());
  return rec->id.str();
}

}  // namespace berth::engine
