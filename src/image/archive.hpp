// Image archives: docker-archive (what `docker save` writes: manifest.json + repositories +
// per-layer tars) and the OCI image layout (oci-layout, index.json, blobs/sha256/...).
// Loading detects the format (and any compression) from the content.
#pragma once
#include <string>
#include <vector>

#include "common/error.hpp"
#include "image/image_service.hpp"
#include "image/layer_diff.hpp"

namespace berth::image {

enum class ArchiveFormat { DockerArchive, OciLayout };

struct LoadResult {
  std::vector<ImageRecord> images;
  std::vector<std::string> tags;  // "Loaded image: x:y"
};

// Reads a tar stream (plain, gzip, zstd ...) from fd. Every blob is verified before it is
// committed; an archive that fails leaves no image and no unreferenced blob behind.
Result<LoadResult> load_archive(ImageService& svc, int fd);
// An OCI image layout directory on disk.
Result<LoadResult> load_oci_layout_dir(ImageService& svc, const std::string& dir);

// names: tags or IDs. A name given as a tag is recorded as that tag; an ID carries no tag.
// The OCI layout also carries a manifest.json, so docker load reads it as well.
Result<> save_archive(ImageService& svc, const std::vector<std::string>& names, ArchiveFormat format,
                      const ByteSink& sink);

}  // namespace berth::image
