// What ADD returned for one attachment (network, container, interface) and the network config
// it ran, kept on disk as libcni keeps them: DEL and CHECK pass the result as prevResult, also
// after berthd restarted, DEL can run after the config file went, and the pod's IP can be read
// back without running a plugin.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/error.hpp"

namespace berth::network {

inline constexpr const char* kDefaultCniCacheDir = "/var/lib/berth/cni/results";

struct CniCacheEntry {
  std::string network, container_id, ifname;
  nlohmann::json result;            // as the last plugin printed it
  nlohmann::json capability_args;   // the runtimeConfig values ADD was given
  std::vector<std::pair<std::string, std::string>> args;  // CNI_ARGS
  nlohmann::json config;            // the network list ADD ran, as a .conflist (null in older records)
};

class CniCache {
 public:
  explicit CniCache(std::string dir) : dir_(std::move(dir)) {}
  // The names are validated by the caller (network name, container id, interface name carry
  // no '/'), so the file stays inside dir.
  std::string path(const std::string& network, const std::string& container_id, const std::string& ifname) const;
  Result<> save(const CniCacheEntry& e) const;  // atomic: written to a temp file, renamed
  // nullopt when there is none; a damaged file is an error naming it.
  Result<std::optional<CniCacheEntry>> load(const std::string& network, const std::string& container_id,
                                            const std::string& ifname) const;
  Result<> remove(const std::string& network, const std::string& container_id, const std::string& ifname) const;
  // The record of a container's interface on whichever network it is (the first found), when
  // the caller no longer knows the network's name; nullopt when there is none.
  Result<std::optional<CniCacheEntry>> find(const std::string& container_id, const std::string& ifname) const;

 private:
  std::string dir_;
};

}  // namespace berth::network
