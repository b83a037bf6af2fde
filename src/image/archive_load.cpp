#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>

#include "common/fd.hpp"
#include "common/fs.hpp"
#include "common/json_util.hpp"
#include "image/archive.hpp"
#include "image/archive_reader.hpp"
#include "image/reference.hpp"
#include "image/safe_path.hpp"

namespace berth::image {

using nlohmann::json;

namespace {

// What an archive held: each regular file's digest, and symlinks (docker save links layers that
// two images share).
struct Entries {
  std::map<std::string, Digest> files;
  std::map<std::string, std::string> links;
  std::vector<Digest> stored;

  Result<Digest> find(const std::string& raw) const {
    auto name = BERTH_TRY(clean_entry_path(raw), "archive");
    for (int hops = 0; hops < 16; ++hops) {
      if (auto f = files.find(name); f != files.end()) return f->second;
      auto l = links.find(name);
      if (l == links.end()) break;
      std::string target = l->second[0] == '/' ? l->second.substr(1) : path_join(parent_of(name), l->second);
      // Resolve ".." lexically, inside the archive.
      std::vector<std::string> parts;
      size_t i = 0;
      while (i <= target.size()) {
        auto j = target.find('/', i);
        if (j == std::string::npos) j = target.size();
        auto c = target.substr(i, j - i);
        if (c == "..") {
          if (parts.empty()) return fail(ErrorKind::Invalid, "archive: link \"" + raw + "\" escapes the archive");
          parts.pop_back();
        } else if (!c.empty() && c != ".") {
          parts.push_back(c);
        }
        i = j + 1;
      }
      name.clear();
      for (auto& p : parts) name += (name.empty() ? "" : "/") + p;
    }
    return fail(ErrorKind::Invalid, "archive: \"" + raw + "\" is referenced but not in the archive");
  }

  static std::string path_join(const std::string& a, const std::string& b) { return a.empty() ? b : a + "/" + b; }
};

std::string sniff_layer_type(ContentStore& cs, const Digest& d, bool oci) {
  auto fd = cs.open(d);
  unsigned char m[4] = {};
  if (fd) (void)!::read(fd->get(), m, 4);
  if (m[0] == 0x1f && m[1] == 0x8b) return oci ? media::oci_layer_gzip : media::docker_layer_gzip;
  if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) return media::oci_layer_zstd;
  return oci ? media::oci_layer : media::docker_layer;
}

Result<Descriptor> blob_descriptor(ContentStore& cs, const Digest& d, std::string media_type) {
  Descriptor desc;
  desc.digest = d;
  desc.media_type = std::move(media_type);
  desc.size = static_cast<int64_t>(BERTH_TRY(cs.size(d), "archive"));
  return desc;
}

Result<LoadResult> load_docker_manifest(ImageService& svc, Entries& ents, const std::string& text) {
  auto j = BERTH_TRY(parse_json(text, "manifest.json"), "load");
  if (!j.is_array()) return fail(ErrorKind::Invalid, "load: manifest.json: expected an array");
  LoadResult out;
  for (size_t i = 0; i < j.size(); ++i) {
    std::string at = "manifest.json[" + std::to_string(i) + "]";
    const auto& e = j[i];
    if (!e.is_object() || !e.contains("Config") || !e["Config"].is_string())
      return fail(ErrorKind::Invalid, "load: " + at + ".Config: expected string");
    if (!e.contains("Layers") || !e["Layers"].is_array())
      return fail(ErrorKind::Invalid, "load: " + at + ".Layers: expected array");
    auto cfg = BERTH_TRY(ents.find(e["Config"].get<std::string>()), "load: " + at + ".Config");
    auto cfg_bytes = BERTH_TRY(svc.content().read(cfg), "load");
    auto parsed = BERTH_TRY(parse_config(cfg_bytes), "load: " + at);
    std::vector<Descriptor> layers;
    bool zstd = false;
    for (auto& l : e["Layers"]) {
      if (!l.is_string()) return fail(ErrorKind::Invalid, "load: " + at + ".Layers: expected strings");
      auto d = BERTH_TRY(ents.find(l.get<std::string>()), "load: " + at + ".Layers");
      auto t = sniff_layer_type(svc.content(), d, false);
      zstd |= t == media::oci_layer_zstd;
      layers.push_back(BERTH_TRY(blob_descriptor(svc.content(), d, t), "load"));
    }
    std::string mt = zstd ? media::oci_manifest : media::docker_manifest;
    if (zstd) {
      for (auto& l : layers) {
        if (l.media_type == media::docker_layer) l.media_type = media::oci_layer;
        if (l.media_type == media::docker_layer_gzip) l.media_type = media::oci_layer_gzip;
      }
    }
    auto man = BERTH_TRY(svc.put_image_documents(cfg_bytes, layers, mt), "load");
    ents.stored.push_back(man);
    (void)parsed;
    RegisterOptions ro;
    if (e.contains("RepoTags") && e["RepoTags"].is_array())
      for (auto& t : e["RepoTags"])
        if (t.is_string()) ro.tags.push_back(t.get<std::string>());
    auto rec = BERTH_TRY(svc.register_image(man, ro), "load: " + at);
    for (auto& t : rec.repo_tags) out.tags.push_back(t);
    out.images.push_back(std::move(rec));
  }
  return out;
}

Result<std::vector<std::pair<Digest, std::string>>> collect_manifests(ImageService& svc, const Index& idx,
                                                                      const std::string& name, int depth) {
  std::vector<std::pair<Digest, std::string>> out;
  for (auto& d : idx.manifests) {
    std::string ref = name;
    if (auto a = d.annotations.find("io.containerd.image.name"); a != d.annotations.end()) ref = a->second;
    else if (auto b = d.annotations.find("org.opencontainers.image.ref.name"); b != d.annotations.end()) {
      // A full reference, or just a tag (OCI's own convention) that needs a name to mean anything.
      if (b->second.find('/') != std::string::npos || b->second.find(':') != std::string::npos) ref = b->second;
    }
    if (is_index_type(d.media_type)) {
      if (depth > 2) return fail(ErrorKind::Invalid, "index.json: nested indexes too deep");
      auto nested = BERTH_TRY(parse_index(BERTH_TRY(svc.content().read(d.digest), "index")), "index");
      auto pick = BERTH_TRY(select_platform(nested, Platform{}), "index " + d.digest.str());
      Index one;
      one.manifests.push_back(pick);
      auto more = BERTH_TRY(collect_manifests(svc, one, ref, depth + 1), "");
      out.insert(out.end(), more.begin(), more.end());
    } else if (is_manifest_type(d.media_type) || d.media_type.empty()) {
      out.emplace_back(d.digest, ref);
    }
  }
  return out;
}

Result<LoadResult> load_oci_index(ImageService& svc, const std::string& text) {
  auto idx = BERTH_TRY(parse_index(text), "load: index.json");
  auto mans = BERTH_TRY(collect_manifests(svc, idx, "", 0), "load");
  LoadResult out;
  for (auto& [digest, ref] : mans) {
    RegisterOptions ro;
    if (!ref.empty()) ro.tags.push_back(ref);
    auto rec = BERTH_TRY(svc.register_image(digest, ro), "load");
    for (auto& t : rec.repo_tags) out.tags.push_back(t);
    out.images.push_back(std::move(rec));
  }
  return out;
}

// Stores one archive member: blobs/sha256/<hex> is verified against its name.
Result<Digest> store_member(ImageService& svc, archive* a, const std::string& name, std::string* keep_text) {
  std::optional<Digest> expected;
  if (name.rfind("blobs/sha256/", 0) == 0)
    expected = BERTH_TRY(Digest::parse("sha256:" + name.substr(13)), "archive member \"" + name + "\"");
  auto w = BERTH_TRY(svc.content().writer(), "load");
  const void* buf;
  size_t len;
  la_int64_t off;
  while (true) {
    int r = archive_read_data_block(a, &buf, &len, &off);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK) {
      const char* m = archive_error_string(a);
      return fail(ErrorKind::Invalid, "archive member \"" + name + "\": " + (m ? m : "read error"));
    }
    std::string_view chunk(static_cast<const char*>(buf), len);
    BERTH_CHECK(w->write(chunk), "archive member \"" + name + "\"");
    if (keep_text && keep_text->size() < (8u << 20)) keep_text->append(chunk);
  }
  return BERTH_TRY(w->commit(expected), "archive member \"" + name + "\"");
}

bool is_document(const std::string& n) { return n == "manifest.json" || n == "index.json"; }

}  // namespace

Result<LoadResult> load_archive(ImageService& svc, int fd) {
  ArchivePtr a(archive_read_new());
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_fd(a.get(), fd, 256 * 1024) != ARCHIVE_OK)
    return fail(ErrorKind::Invalid, std::string("load: ") + archive_error_string(a.get()));
  Entries ents;
  std::map<std::string, std::string> docs;
  auto run = [&]() -> Result<LoadResult> {
    archive_entry* e;
    while (true) {
      int r = archive_read_next_header(a.get(), &e);
      if (r == ARCHIVE_EOF) break;
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
        return fail(ErrorKind::Invalid, std::string("load: not a valid archive: ") + archive_error_string(a.get()));
      auto name = BERTH_TRY(clean_entry_path(archive_entry_pathname(e)), "load");
      auto type = archive_entry_filetype(e);
      if (type == AE_IFLNK) {
        ents.links[name] = archive_entry_symlink(e);
      } else if (archive_entry_hardlink(e)) {
        auto target = BERTH_TRY(clean_entry_path(archive_entry_hardlink(e)), "load");
        ents.links[name] = "/" + target;
      } else if (type == AE_IFREG) {
        std::string text;
        auto d = BERTH_TRY(store_member(svc, a.get(), name, is_document(name) ? &text : nullptr), "load");
        ents.files[name] = d;
        ents.stored.push_back(d);
        if (is_document(name)) docs[name] = std::move(text);
      }
    }
    if (docs.count("manifest.json")) return load_docker_manifest(svc, ents, docs["manifest.json"]);
    if (docs.count("index.json")) return load_oci_index(svc, docs["index.json"]);
    return fail(ErrorKind::Invalid, "load: archive has neither manifest.json (docker-archive) nor index.json (OCI layout)");
  };
  auto res = run();
  // Members that no image took (and everything, on failure) leave the store again.
  svc.discard_unreferenced(ents.stored);
  return res;
}

Result<LoadResult> load_oci_layout_dir(ImageService& svc, const std::string& dir) {
  auto text = BERTH_TRY(read_file(dir + "/index.json"), "load OCI layout " + dir);
  auto idx = BERTH_TRY(parse_index(text), "load OCI layout " + dir);
  std::vector<Digest> stored;
  // Import every blob the layout has; the content store verifies each against its name.
  auto run = [&]() -> Result<LoadResult> {
    std::string bdir = dir + "/blobs/sha256";
    std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(bdir.c_str()), closedir);
    if (!d) return fail_sys("load OCI layout: open " + bdir);
    while (auto* e = readdir(d.get())) {
      std::string n = e->d_name;
      if (n == "." || n == "..") continue;
      auto want = BERTH_TRY(Digest::parse("sha256:" + n), "load OCI layout: blob " + n);
      if (svc.content().has(want)) continue;
      UniqueFd fd(::open((bdir + "/" + n).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
      if (!fd) return fail_sys("load OCI layout: open blob " + n);
      auto w = BERTH_TRY(svc.content().writer(), "load OCI layout");
      char buf[1 << 16];
      while (true) {
        ssize_t k = ::read(fd.get(), buf, sizeof buf);
        if (k < 0) return fail_sys("load OCI layout: read blob " + n);
        if (k == 0) break;
        BERTH_CHECK(w->write(std::string_view(buf, static_cast<size_t>(k))), "load OCI layout");
      }
      stored.push_back(BERTH_TRY(w->commit(want), "load OCI layout: blob " + n));
    }
    (void)idx;
    return load_oci_index(svc, text);
  };
  auto res = run();
  svc.discard_unreferenced(stored);
  return res;
}

}  // namespace berth::image
