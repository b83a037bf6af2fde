#include "cri/image_status.hpp"

#include <nlohmann/json.hpp>

#include "common/json_util.hpp"
#include "cri/image_names.hpp"
#include "cri/image_user.hpp"

namespace berth::cri {

Result<::runtime::v1::Image> cri_image(image::ImageService& svc, const image::ImageRecord& rec, std::string* verbose_info) {
  ::runtime::v1::Image out;
  out.set_id(rec.id.str());
  for (auto& t : rec.repo_tags) out.add_repo_tags(qualified_name(t));
  for (auto& d : rec.repo_digests) out.add_repo_digests(qualified_name(d));
  out.set_size(static_cast<uint64_t>(rec.size));
  out.mutable_spec()->set_image(rec.id.str());

  auto text = BERTH_TRY(svc.config_json(rec.id), "image " + rec.id.str());
  auto config = BERTH_TRY(parse_json(text, "image config " + rec.id.str()), "");
  std::string user;
  if (config.is_object() && config.contains("config") && config["config"].is_object())
    if (auto& u = config["config"]; u.contains("User") && u["User"].is_string()) user = u["User"].get<std::string>();
  auto who = image_user(user);
  if (who.uid) out.mutable_uid()->set_value(*who.uid);
  out.set_username(who.username);
  if (verbose_info) {
    nlohmann::json info = {{"imageSpec", config}, {"manifestDigest", rec.manifest_digest.str()}};
    *verbose_info = info.dump();
  }
  return out;
}

}  // namespace berth::cri
