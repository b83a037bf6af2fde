#include "image/image_model.hpp"

#include <ctime>
#include <nlohmann/json.hpp>

#include "common/json_util.hpp"

namespace berth::image {

using nlohmann::json;

bool is_index_type(std::string_view t) { return t == media::oci_index || t == media::docker_list; }
bool is_manifest_type(std::string_view t) { return t == media::oci_manifest || t == media::docker_manifest; }
bool is_layer_type(std::string_view t) {
  return t == media::oci_layer || t == media::oci_layer_gzip || t == media::oci_layer_zstd ||
         t == media::docker_layer || t == media::docker_layer_gzip || t == media::docker_foreign_layer ||
         t == "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
}

Result<Platform> Platform::parse(std::string_view s) {
  Platform p;
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    auto slash = s.find('/', start);
    parts.emplace_back(s.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty())
    return fail(ErrorKind::Invalid, "platform \"" + std::string(s) + "\": expected os/arch[/variant]");
  p.os = parts[0];
  p.architecture = parts[1];
  if (parts.size() == 3) p.variant = parts[2];
  return p;
}

std::string Platform::str() const { return os + "/" + architecture + (variant.empty() ? "" : "/" + variant); }

bool Platform::matches(const Platform& want) const {
  if (os != want.os || architecture != want.architecture) return false;
  return want.variant.empty() || variant == want.variant || (variant.empty() && want.variant == "v8");
}

namespace {

Error field_error(std::string_view doc, std::string_view field, std::string_view what) {
  return make_error(ErrorKind::Invalid, std::string(doc) + ": " + std::string(field) + ": " + std::string(what));
}

Result<std::string> get_string(const json& j, const char* key, std::string_view doc, std::string_view path,
                               bool required) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) return fail(field_error(doc, std::string(path) + key, "missing"));
    return std::string();
  }
  if (!it->is_string())
    return fail(field_error(doc, std::string(path) + key, std::string("expected string, got ") + it->type_name()));
  return it->get<std::string>();
}

Result<Descriptor> parse_descriptor(const json& j, std::string_view doc, const std::string& path) {
  if (!j.is_object()) return fail(field_error(doc, path, "expected object"));
  Descriptor d;
  d.media_type = BERTH_TRY(get_string(j, "mediaType", doc, path + ".", false), "descriptor");
  auto dig = BERTH_TRY(get_string(j, "digest", doc, path + ".", true), "descriptor");
  auto parsed = Digest::parse(dig);
  if (!parsed) return fail(field_error(doc, path + ".digest", parsed.error().message));
  d.digest = *parsed;
  auto sz = j.find("size");
  if (sz == j.end() || !sz->is_number_integer() || sz->get<int64_t>() < 0)
    return fail(field_error(doc, path + ".size", "expected non-negative integer"));
  d.size = sz->get<int64_t>();
  if (auto p = j.find("platform"); p != j.end() && p->is_object()) {
    Platform pl;
    pl.os = p->value("os", "");
    pl.architecture = p->value("architecture", "");
    pl.variant = p->value("variant", "");
    d.platform = pl;
  }
  if (auto a = j.find("annotations"); a != j.end() && a->is_object())
    for (auto& [k, v] : a->items())
      if (v.is_string()) d.annotations[k] = v.get<std::string>();
  return d;
}

Result<json> parse_object(std::string_view bytes, std::string_view doc) {
  auto j = BERTH_TRY(parse_json(bytes, doc), "");
  if (!j.is_object()) return fail(ErrorKind::Invalid, std::string(doc) + ": expected a JSON object");
  return j;
}

}  // namespace

Result<DocumentKind> document_kind(std::string_view content_type, std::string_view bytes) {
  auto semi = content_type.find(';');
  auto ct = content_type.substr(0, semi);
  if (is_index_type(ct)) return DocumentKind::Index;
  if (is_manifest_type(ct)) return DocumentKind::Manifest;
  auto j = BERTH_TRY(parse_object(bytes, "manifest"), "detect manifest type");
  std::string mt = j.value("mediaType", "");
  if (is_index_type(mt)) return DocumentKind::Index;
  if (is_manifest_type(mt)) return DocumentKind::Manifest;
  if (j.contains("manifests")) return DocumentKind::Index;
  if (j.contains("layers") && j.contains("config")) return DocumentKind::Manifest;
  if (j.value("schemaVersion", 0) == 1)
    return fail(ErrorKind::Invalid, "manifest: Docker schema 1 manifests are not supported");
  return fail(ErrorKind::Invalid, "manifest: unknown mediaType \"" + mt + "\"");
}

Result<Index> parse_index(std::string_view bytes) {
  auto j = BERTH_TRY(parse_object(bytes, "image index"), "parse image index");
  Index idx;
  idx.media_type = BERTH_TRY(get_string(j, "mediaType", "image index", "", false), "parse image index");
  if (!idx.media_type.empty() && !is_index_type(idx.media_type))
    return fail(field_error("image index", "mediaType", "unexpected \"" + idx.media_type + "\""));
  if (j.value("schemaVersion", 0) != 2) return fail(field_error("image index", "schemaVersion", "expected 2"));
  auto m = j.find("manifests");
  if (m == j.end() || !m->is_array()) return fail(field_error("image index", "manifests", "expected array"));
  for (size_t i = 0; i < m->size(); ++i)
    idx.manifests.push_back(
        BERTH_TRY(parse_descriptor((*m)[i], "image index", "manifests[" + std::to_string(i) + "]"), "parse image index"));
  return idx;
}

Result<Manifest> parse_manifest(std::string_view bytes) {
  auto j = BERTH_TRY(parse_object(bytes, "image manifest"), "parse image manifest");
  Manifest man;
  man.media_type = BERTH_TRY(get_string(j, "mediaType", "image manifest", "", false), "parse image manifest");
  if (!man.media_type.empty() && !is_manifest_type(man.media_type))
    return fail(field_error("image manifest", "mediaType", "unexpected \"" + man.media_type + "\""));
  if (man.media_type.empty()) man.media_type = media::oci_manifest;
  if (j.value("schemaVersion", 0) != 2) return fail(field_error("image manifest", "schemaVersion", "expected 2"));
  auto c = j.find("config");
  if (c == j.end()) return fail(field_error("image manifest", "config", "missing"));
  man.config = BERTH_TRY(parse_descriptor(*c, "image manifest", "config"), "parse image manifest");
  auto l = j.find("layers");
  if (l == j.end() || !l->is_array()) return fail(field_error("image manifest", "layers", "expected array"));
  for (size_t i = 0; i < l->size(); ++i) {
    auto d = BERTH_TRY(parse_descriptor((*l)[i], "image manifest", "layers[" + std::to_string(i) + "]"),
                       "parse image manifest");
    if (!d.media_type.empty() && !is_layer_type(d.media_type))
      return fail(field_error("image manifest", "layers[" + std::to_string(i) + "].mediaType",
                              "unsupported layer type \"" + d.media_type + "\""));
    man.layers.push_back(std::move(d));
  }
  return man;
}

Result<ImageConfig> parse_config(std::string_view bytes) {
  auto j = BERTH_TRY(parse_object(bytes, "image config"), "parse image config");
  ImageConfig c;
  c.architecture = BERTH_TRY(get_string(j, "architecture", "image config", "", false), "parse image config");
  c.os = BERTH_TRY(get_string(j, "os", "image config", "", false), "parse image config");
  c.variant = BERTH_TRY(get_string(j, "variant", "image config", "", false), "parse image config");
  c.created = BERTH_TRY(get_string(j, "created", "image config", "", false), "parse image config");
  c.author = BERTH_TRY(get_string(j, "author", "image config", "", false), "parse image config");
  auto r = j.find("rootfs");
  if (r == j.end() || !r->is_object()) return fail(field_error("image config", "rootfs", "expected object"));
  if (r->value("type", "") != "layers") return fail(field_error("image config", "rootfs.type", "expected \"layers\""));
  auto ids = r->find("diff_ids");
  if (ids == r->end() || !ids->is_array()) return fail(field_error("image config", "rootfs.diff_ids", "expected array"));
  for (size_t i = 0; i < ids->size(); ++i) {
    const auto& v = (*ids)[i];
    auto p = v.is_string() ? Digest::parse(v.get<std::string>())
                           : Result<Digest>(fail(ErrorKind::Invalid, "expected string"));
    if (!p) return fail(field_error("image config", "rootfs.diff_ids[" + std::to_string(i) + "]", p.error().message));
    c.diff_ids.push_back(*p);
  }
  if (auto h = j.find("history"); h != j.end() && h->is_array()) {
    for (auto& e : *h) {
      if (!e.is_object()) continue;
      HistoryEntry he;
      he.created = e.value("created", "");
      he.created_by = e.value("created_by", "");
      he.author = e.value("author", "");
      he.comment = e.value("comment", "");
      he.empty_layer = e.value("empty_layer", false);
      c.history.push_back(std::move(he));
    }
  }
  return c;
}

Result<Descriptor> select_platform(const Index& index, const Platform& want) {
  std::string seen;
  for (auto& d : index.manifests) {
    if (!d.platform) continue;
    if (d.platform->matches(want)) return d;
    if (d.platform->os == "unknown") continue;  // attestation manifests
    seen += (seen.empty() ? "" : ", ") + d.platform->str();
  }
  // An index without platform fields (e.g. an OCI layout of one image): take its only manifest.
  if (seen.empty() && index.manifests.size() == 1) return index.manifests[0];
  return fail(ErrorKind::NotFound,
              "no manifest for platform " + want.str() + " in index (available: " + (seen.empty() ? "none" : seen) + ")");
}

std::vector<Digest> chain_ids(const std::vector<Digest>& diff_ids) {
  std::vector<Digest> out;
  for (auto& d : diff_ids) {
    if (out.empty())
      out.push_back(d);
    else
      out.push_back(Digest::of(out.back().str() + " " + d.str()));
  }
  return out;
}

static json descriptor_to_json(const Descriptor& d) {
  json j = {{"mediaType", d.media_type}, {"digest", d.digest.str()}, {"size", d.size}};
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  if (d.platform) {
    j["platform"] = {{"os", d.platform->os}, {"architecture", d.platform->architecture}};
    if (!d.platform->variant.empty()) j["platform"]["variant"] = d.platform->variant;
  }
  return j;
}

std::string descriptor_json(const Descriptor& d) { return descriptor_to_json(d).dump(); }

std::string manifest_json(const Manifest& m) {
  json j = {{"schemaVersion", 2}, {"mediaType", m.media_type}, {"config", descriptor_to_json(m.config)}};
  j["layers"] = json::array();
  for (auto& l : m.layers) j["layers"].push_back(descriptor_to_json(l));
  return j.dump();
}

std::string now_rfc3339() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  tm t;
  gmtime_r(&ts.tv_sec, &t);
  char buf[64];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
  char out[96];
  snprintf(out, sizeof out, "%s.%09ldZ", buf, ts.tv_nsec);
  return out;
}

}  // namespace berth::image
