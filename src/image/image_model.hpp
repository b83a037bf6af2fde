// OCI image index/manifest/config and Docker schema2 manifest list/manifest/config.
// Parsers keep the raw bytes (their digest is the identity) and name the field on error.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "image/digest.hpp"

namespace berth::image {

namespace media {
inline constexpr const char* oci_index = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* oci_manifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* oci_config = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* oci_layer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr const char* oci_layer_gzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr const char* oci_layer_zstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr const char* docker_list = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr const char* docker_manifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* docker_config = "application/vnd.docker.container.image.v1+json";
inline constexpr const char* docker_layer = "application/vnd.docker.image.rootfs.diff.tar";
inline constexpr const char* docker_layer_gzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr const char* docker_foreign_layer = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
}  // namespace media

bool is_index_type(std::string_view media_type);
bool is_manifest_type(std::string_view media_type);
bool is_layer_type(std::string_view media_type);

struct Platform {
  std::string os = "linux";
  std::string architecture = "amd64";
  std::string variant;
  // "linux/arm64/v8", "linux/amd64"
  static Result<Platform> parse(std::string_view s);
  std::string str() const;
  bool matches(const Platform& want) const;
};

struct Descriptor {
  std::string media_type;
  Digest digest;
  int64_t size = 0;
  std::optional<Platform> platform;
  std::map<std::string, std::string> annotations;
};

struct Index {
  std::string media_type;
  std::vector<Descriptor> manifests;
};

struct Manifest {
  std::string media_type;
  Descriptor config;
  std::vector<Descriptor> layers;
};

struct HistoryEntry {
  std::string created, created_by, author, comment;
  bool empty_layer = false;
};

struct ImageConfig {
  std::string architecture, os, variant, created, author;
  std::vector<Digest> diff_ids;
  std::vector<HistoryEntry> history;
};

enum class DocumentKind { Index, Manifest };

// Decides from the Content-Type (may be empty) and, failing that, the document's own mediaType or shape.
Result<DocumentKind> document_kind(std::string_view content_type, std::string_view bytes);
Result<Index> parse_index(std::string_view bytes);
Result<Manifest> parse_manifest(std::string_view bytes);
Result<ImageConfig> parse_config(std::string_view bytes);

// The descriptor for `want`; linux/amd64 unless asked otherwise. Clear error listing what the index has.
Result<Descriptor> select_platform(const Index& index, const Platform& want);

// Layer chain IDs as OCI defines them: chain[0] = diff[0], chain[n] = sha256(chain[n-1] + " " + diff[n]).
std::vector<Digest> chain_ids(const std::vector<Digest>& diff_ids);

// Serialisers used when berth writes its own images.
std::string descriptor_json(const Descriptor& d);
std::string manifest_json(const Manifest& m);  // schemaVersion 2, media type m.media_type
std::string now_rfc3339();

}  // namespace berth::image
