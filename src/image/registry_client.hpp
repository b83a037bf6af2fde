// OCI distribution client for one registry (or a mirror of it): /v2/ ping, manifests and blobs by tag or digest,
// uploads (monolithic or chunked), cross-repository mounts. Authentication follows the 401
// challenge: Basic with credentials, or Bearer tokens fetched from the realm (anonymously or
// with credentials) and cached per scope. HTTP for localhost/127.0.0.1 and hosts listed as
// insecure, HTTPS otherwise.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "image/digest.hpp"
#include "image/registry_auth.hpp"

namespace berth::image {

class ContentWriter;

struct RegistryOptions {
  std::vector<std::string> insecure;         // "host:port" entries that use plain HTTP
  std::string docker_config;                 // empty: default_docker_config_path()
  std::optional<Credentials> credentials;    // overrides config.json
  std::string ca_file;                       // extra CA bundle for HTTPS
  bool tls_verify = true;
  uint64_t chunk_size = 0;                   // 0: monolithic uploads; else PATCH chunks of this size
  // "http://127.0.0.1:5000": a mirror that serves the domain's repositories under the same
  // paths; its scheme is used as given. Empty: the domain's own registry.
  std::string endpoint;
};

struct FetchedManifest {
  std::string bytes;
  std::string media_type;
  Digest digest;  // of bytes (checked against the reference when it was a digest)
};

class RegistryClient {
 public:
  RegistryClient(std::string domain, RegistryOptions opts);
  ~RegistryClient();
  RegistryClient(const RegistryClient&) = delete;
  RegistryClient& operator=(const RegistryClient&) = delete;

  const std::string& domain() const;
  std::string base_url() const;  // "http://127.0.0.1:5000"

  Result<> ping();
  Result<FetchedManifest> get_manifest(const std::string& repo, const std::string& reference);
  // Streams the blob into w and commits it only if digest and size match. progress returning
  // false cancels the transfer.
  Result<> fetch_blob(const std::string& repo, const Digest& d, int64_t size, ContentWriter& w,
                      const std::function<bool(uint64_t, uint64_t)>& progress = {});
  Result<bool> blob_exists(const std::string& repo, const Digest& d);
  // True when the registry mounted it; false when it does not (the caller uploads instead).
  Result<bool> mount_blob(const std::string& repo, const std::string& from_repo, const Digest& d);
  Result<> upload_blob(const std::string& repo, const Digest& d, int fd, uint64_t size,
                       const std::function<void(uint64_t, uint64_t)>& progress = {});
  // Returns the digest the registry reports (checked against the bytes).
  Result<Digest> put_manifest(const std::string& repo, const std::string& reference, const std::string& bytes,
                              const std::string& media_type);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// "docker.io" talks to registry-1.docker.io; everything else to itself.
std::string registry_host(const std::string& domain);
bool registry_is_insecure(const std::string& domain, const std::vector<std::string>& insecure);

}  // namespace berth::image
