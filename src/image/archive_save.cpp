#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <ctime>
#include <nlohmann/json.hpp>
#include <set>

#include "image/archive.hpp"
#include "image/reference.hpp"

namespace berth::image {

using nlohmann::json;

namespace {

struct SaveSink {
  const ByteSink* sink;
  Error err;
  bool failed = false;
};

la_ssize_t save_sink_write(archive*, void* ud, const void* buf, size_t n) {
  auto* o = static_cast<SaveSink*>(ud);
  auto r = (*o->sink)(std::string_view(static_cast<const char*>(buf), n));
  if (!r) {
    o->failed = true;
    o->err = r.error();
    return -1;
  }
  return static_cast<la_ssize_t>(n);
}

class TarOut {
 public:
  explicit TarOut(const ByteSink& sink) {
    out_.sink = &sink;
    a_ = archive_write_new();
    archive_write_set_format_pax_restricted(a_);
    archive_write_set_bytes_in_last_block(a_, 1);
    archive_write_open(a_, &out_, nullptr, save_sink_write, nullptr);
  }
  ~TarOut() {
    if (a_) archive_write_free(a_);
  }

  Result<> dir(const std::string& name) {
    if (!dirs_.insert(name).second) return {};
    return header(name + "/", AE_IFDIR, 0755, 0);
  }
  Result<> text(const std::string& name, std::string_view data) {
    BERTH_CHECK(header(name, AE_IFREG, 0644, data.size()), "");
    if (!data.empty() && archive_write_data(a_, data.data(), data.size()) < 0) return fail(err(name));
    return {};
  }
  Result<> blob(const std::string& name, ContentStore& cs, const Digest& d) {
    if (!written_.insert(name).second) return {};
    auto size = BERTH_TRY(cs.size(d), "save");
    auto fd = BERTH_TRY(cs.open(d), "save");
    BERTH_CHECK(header(name, AE_IFREG, 0644, size), "");
    std::vector<char> buf(256 * 1024);
    uint64_t left = size;
    while (left > 0) {
      ssize_t n = ::read(fd.get(), buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return fail_sys("save: read blob " + d.str());
      if (archive_write_data(a_, buf.data(), static_cast<size_t>(n)) < 0) return fail(err(name));
      left -= static_cast<uint64_t>(n);
    }
    return {};
  }
  Result<> close() {
    int r = archive_write_close(a_);
    if (r != ARCHIVE_OK || out_.failed) return fail(err("close"));
    return {};
  }

 private:
  Result<> header(const std::string& name, unsigned type, mode_t mode, uint64_t size) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, mode);
    archive_entry_set_size(e, static_cast<la_int64_t>(size));
    archive_entry_set_mtime(e, 0, 0);
    int r = archive_write_header(a_, e);
    archive_entry_free(e);
    if (r != ARCHIVE_OK) return fail(err(name));
    return {};
  }
  Error err(const std::string& ctx) {
    if (out_.failed) return out_.err.wrap("save: " + ctx);
    const char* m = archive_error_string(a_);
    return make_error(ErrorKind::Internal, "save: " + ctx + ": " + (m ? m : "archive error"));
  }
  archive* a_;
  SaveSink out_;
  std::set<std::string> dirs_, written_;
};

struct Selected {
  ImageRecord rec;
  Manifest manifest;
  std::vector<std::string> tags;  // familiar "name:tag"
};

Result<std::vector<Selected>> select(ImageService& svc, const std::vector<std::string>& names) {
  std::vector<Selected> out;
  for (auto& n : names) {
    auto id = BERTH_TRY(svc.resolve(n), "save");
    auto rec = BERTH_TRY(svc.store().get(id), "save");
    std::string tag;
    auto ref = Reference::parse(n);
    if (ref && !ref->digest) {
      auto t = ref->familiar_tagged();
      for (auto& have : rec.repo_tags)
        if (have == t) tag = t;
    }
    Selected* s = nullptr;
    for (auto& e : out)
      if (e.rec.id == id) s = &e;
    if (!s) {
      auto man = BERTH_TRY(parse_manifest(BERTH_TRY(svc.content().read(rec.manifest_digest), "save")), "save");
      out.push_back({rec, man, {}});
      s = &out.back();
    }
    if (!tag.empty()) s->tags.push_back(tag);
  }
  return out;
}

json docker_manifest_entry(const Selected& s, const std::vector<std::string>& layer_paths, const std::string& cfg) {
  json tags = s.tags.empty() ? json(nullptr) : json(s.tags);
  return {{"Config", cfg}, {"RepoTags", tags}, {"Layers", layer_paths}};
}

std::pair<std::string, std::string> split_tag(const std::string& t) {
  auto c = t.rfind(':');
  return {t.substr(0, c), t.substr(c + 1)};
}

Result<> save_docker(ImageService& svc, const std::vector<Selected>& imgs, TarOut& tar) {
  json manifest = json::array();
  json repos = json::object();
  for (auto& s : imgs) {
    std::vector<std::string> paths;
    for (size_t i = 0; i < s.rec.layers.size(); ++i) {
      // Docker names layer directories by v1 IDs; any unique name works for its loader.
      std::string dir = s.rec.layers[i].chain_id.hex();
      BERTH_CHECK(tar.dir(dir), "");
      BERTH_CHECK(tar.text(dir + "/VERSION", "1.0"), "");
      BERTH_CHECK(tar.blob(dir + "/layer.tar", svc.content(), s.manifest.layers[i].digest), "");
      paths.push_back(dir + "/layer.tar");
    }
    std::string cfg = s.rec.id.hex() + ".json";
    BERTH_CHECK(tar.blob(cfg, svc.content(), s.rec.id), "");
    manifest.push_back(docker_manifest_entry(s, paths, cfg));
    for (auto& t : s.tags) {
      auto [repo, tag] = split_tag(t);
      if (!paths.empty()) repos[repo][tag] = s.rec.layers.back().chain_id.hex();
    }
  }
  BERTH_CHECK(tar.text("manifest.json", manifest.dump()), "");
  if (!repos.empty()) BERTH_CHECK(tar.text("repositories", repos.dump()), "");
  return {};
}

Result<> save_oci(ImageService& svc, const std::vector<Selected>& imgs, TarOut& tar) {
  BERTH_CHECK(tar.text("oci-layout", R"({"imageLayoutVersion":"1.0.0"})"), "");
  BERTH_CHECK(tar.dir("blobs"), "");
  BERTH_CHECK(tar.dir("blobs/sha256"), "");
  json index = {{"schemaVersion", 2}, {"mediaType", media::oci_index}, {"manifests", json::array()}};
  json manifest = json::array();
  for (auto& s : imgs) {
    std::vector<std::string> paths;
    for (auto& l : s.manifest.layers) {
      BERTH_CHECK(tar.blob("blobs/sha256/" + l.digest.hex(), svc.content(), l.digest), "");
      paths.push_back("blobs/sha256/" + l.digest.hex());
    }
    BERTH_CHECK(tar.blob("blobs/sha256/" + s.rec.id.hex(), svc.content(), s.rec.id), "");
    BERTH_CHECK(tar.blob("blobs/sha256/" + s.rec.manifest_digest.hex(), svc.content(), s.rec.manifest_digest), "");
    Descriptor d;
    d.media_type = s.rec.manifest_media_type;
    d.digest = s.rec.manifest_digest;
    d.size = static_cast<int64_t>(BERTH_TRY(svc.content().size(d.digest), "save"));
    std::vector<std::string> names = s.tags.empty() ? std::vector<std::string>{""} : s.tags;
    for (auto& t : names) {
      json jd = json::parse(descriptor_json(d));
      if (!t.empty()) {
        auto ref = Reference::parse(t);
        jd["annotations"] = {{"io.containerd.image.name", ref ? ref->domain + "/" + ref->path + ":" + ref->tag : t},
                             {"org.opencontainers.image.ref.name", ref ? ref->tag : t}};
      }
      index["manifests"].push_back(jd);
    }
    manifest.push_back(docker_manifest_entry(s, paths, "blobs/sha256/" + s.rec.id.hex()));
  }
  BERTH_CHECK(tar.text("index.json", index.dump()), "");
  BERTH_CHECK(tar.text("manifest.json", manifest.dump()), "");
  return {};
}

}  // namespace

Result<> save_archive(ImageService& svc, const std::vector<std::string>& names, ArchiveFormat format,
                      const ByteSink& sink) {
  if (names.empty()) return fail(ErrorKind::Invalid, "save: no images given");
  auto imgs = BERTH_TRY(select(svc, names), "");
  TarOut tar(sink);
  if (format == ArchiveFormat::DockerArchive)
    BERTH_CHECK(save_docker(svc, imgs, tar), "");
  else
    BERTH_CHECK(save_oci(svc, imgs, tar), "");
  return tar.close();
}

}  // namespace berth::image
