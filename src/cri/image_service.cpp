#include "cri/image_service.hpp"

#include <chrono>

#include "common/fs.hpp"
#include "cri/grpc_status.hpp"
#include "cri/image_fs_usage.hpp"
#include "cri/image_status.hpp"
#include "cri/pull_auth.hpp"
#include "image/distribution.hpp"
#include "image/reference.hpp"

namespace berth::cri {

namespace v1 = ::runtime::v1;

namespace {

// The image a CRI spec names (ID, tag or digest reference, short or qualified), if any.
Result<std::optional<image::ImageRecord>> find_image(engine::Daemon& d, const std::string& name) {
  if (name.empty()) return fail(ErrorKind::Invalid, "image: a name or ID is required");
  auto rec = d.images().inspect(name);
  if (!rec) {
    if (rec.error().kind == ErrorKind::NotFound) return std::optional<image::ImageRecord>();
    return fail(rec.error());
  }
  return std::optional<image::ImageRecord>(std::move(*rec));
}

// The familiar repository a filter names when it has neither tag nor digest (nor is an ID).
std::optional<std::string> repository_only(const std::string& name) {
  auto slash = name.rfind('/');
  if (name.empty() || name.find('@') != std::string::npos || name.starts_with("sha256:") ||
      name.find(':', slash == std::string::npos ? 0 : slash) != std::string::npos)
    return std::nullopt;
  auto ref = image::Reference::parse(name);
  if (!ref) return std::nullopt;
  return ref->familiar_name();
}

Result<image::PullOptions> pull_options(engine::Daemon& d, const image::Reference& ref, const v1::AuthConfig& a,
                                        grpc::ServerContext* ctx) {
  image::PullOptions o;
  o.registry.insecure = d.config().insecure_registries;
  // Credentials come with the request, never from a config file of the daemon's own.
  o.registry.docker_config = path_join(d.config().data_root, "no-client-config.json");
  o.registry.credentials = BERTH_TRY(pull_credentials({a.username(), a.password(), a.auth(), a.server_address(),
                                                       a.identity_token(), a.registry_token()}),
                                     "");
  auto& mirrors = d.config().cri.registry_mirrors;
  if (auto m = mirrors.find(ref.domain); m != mirrors.end()) o.mirrors = m->second;
  // A client that gives up (crictl's timeout, a kubelet restart) cancels the download.
  o.progress = [ctx](const image::Progress&) { return !ctx->IsCancelled(); };
  return o;
}

}  // namespace

grpc::Status ImageService::ListImages(grpc::ServerContext*, const v1::ListImagesRequest* req,
                                      v1::ListImagesResponse* out) {
  return finish_call("ListImages", [&]() -> Result<> {
    std::vector<image::ImageRecord> images;
    const auto& name = req->filter().image().image();
    if (auto repo = repository_only(name)) {
      // A repository ("busybox", "registry.k8s.io/pause") lists each of its tagged images.
      for (auto& rec : BERTH_TRY(d_.images().list(), "list images"))
        for (auto& t : rec.repo_tags)
          if (auto r = image::Reference::parse(t); r && r->familiar_name() == *repo) {
            images.push_back(rec);
            break;
          }
    }
    if (images.empty() && !name.empty()) {  // a tag, a digest, or an ID (which looks like a repository too)
      if (auto one = BERTH_TRY(find_image(d_, name), "")) images.push_back(std::move(*one));
    } else if (name.empty()) {
      images = BERTH_TRY(d_.images().list(), "list images");
    }
    for (auto& rec : images) {
      auto img = cri_image(d_.images(), rec);
      if (!img) {
        if (img.error().kind == ErrorKind::NotFound) continue;  // removed while we listed
        return fail(img.error());
      }
      *out->add_images() = std::move(*img);
    }
    return {};
  }());
}

grpc::Status ImageService::ImageStatus(grpc::ServerContext*, const v1::ImageStatusRequest* req,
                                       v1::ImageStatusResponse* out) {
  return finish_call("ImageStatus", [&]() -> Result<> {
    auto rec = BERTH_TRY(find_image(d_, req->image().image()), "");
    if (!rec) return {};
    std::string info;
    *out->mutable_image() = BERTH_TRY(cri_image(d_.images(), *rec, req->verbose() ? &info : nullptr), "");
    if (req->verbose()) (*out->mutable_info())["info"] = info;
    return {};
  }());
}

grpc::Status ImageService::PullImage(grpc::ServerContext* ctx, const v1::PullImageRequest* req,
                                     v1::PullImageResponse* out) {
  return finish_call("PullImage", [&]() -> Result<> {
    const auto& name = req->image().image();
    if (name.empty()) return fail(ErrorKind::Invalid, "pull image: image: a name is required");
    auto ref = image::Reference::parse(name);
    if (!ref) return fail(ErrorKind::Invalid, "pull image " + name + ": " + ref.error().message);
    auto opts = BERTH_TRY(pull_options(d_, *ref, req->auth(), ctx), "pull image " + name);
    auto rec = BERTH_TRY(image::pull_image(d_.images(), ref->str(), opts), "");
    std::string shown = ref->digest ? ref->str() : ref->familiar_tagged();
    d_.image_event("pull", shown, shown);
    out->set_image_ref(rec.id.str());
    return {};
  }());
}

grpc::Status ImageService::RemoveImage(grpc::ServerContext*, const v1::RemoveImageRequest* req,
                                       v1::RemoveImageResponse*) {
  return finish_call("RemoveImage", [&]() -> Result<> {
    auto rec = BERTH_TRY(find_image(d_, req->image().image()), "");
    if (!rec) return {};
    // By ID, with force: every tag goes with the image, as the CRI asks.
    auto r = d_.images().remove(rec->id.str(), true);
    if (!r) {
      if (r.error().kind == ErrorKind::NotFound) return {};  // removed meanwhile
      return fail(r.error());
    }
    for (auto& u : r->untagged) d_.image_event("untag", rec->id.str(), u);
    for (auto& del : r->deleted) d_.image_event("delete", del.str(), "");
    return {};
  }());
}

grpc::Status ImageService::ImageFsInfo(grpc::ServerContext*, const v1::ImageFsInfoRequest*,
                                       v1::ImageFsInfoResponse* out) {
  return finish_call("ImageFsInfo", [&]() -> Result<> {
    const auto& root = d_.images().root();
    auto usage = BERTH_TRY(fs_usage({path_join(root, "content"), path_join(root, "overlay/layers")}), "");
    auto* fs = out->add_image_filesystems();
    fs->set_timestamp(std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count());
    fs->mutable_fs_id()->set_mountpoint(root);
    fs->mutable_used_bytes()->set_value(usage.bytes);
    fs->mutable_inodes_used()->set_value(usage.inodes);
    return {};
  }());
}

}  // namespace berth::cri
