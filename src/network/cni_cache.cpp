#include "network/cni_cache.hpp"

#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "common/fs.hpp"
#include "common/json_util.hpp"

namespace berth::network {

std::string CniCache::path(const std::string& network, const std::string& container_id, const std::string& ifname) const {
  return path_join(dir_, network + "-" + container_id + "-" + ifname);
}

Result<> CniCache::save(const CniCacheEntry& e) const {
  BERTH_CHECK(mkdir_p(dir_, 0700), "cni cache");
  nlohmann::json args = nlohmann::json::array();
  for (const auto& [k, v] : e.args) args.push_back({k, v});
  nlohmann::json j = {{"kind", "cniCacheV1"},          {"networkName", e.network}, {"containerId", e.container_id},
                      {"ifName", e.ifname},            {"result", e.result},       {"cniArgs", std::move(args)},
                      {"capabilityArgs", e.capability_args.is_null() ? nlohmann::json::object() : e.capability_args},
                      {"config", e.config}};
  return write_file_atomic(path(e.network, e.container_id, e.ifname), j.dump(), 0600);
}

Result<std::optional<CniCacheEntry>> CniCache::load(const std::string& network, const std::string& container_id,
                                                    const std::string& ifname) const {
  std::string p = path(network, container_id, ifname);
  auto text = read_file(p);
  if (!text) {
    if (text.error().kind == ErrorKind::NotFound) return std::nullopt;
    return fail(text.error().wrap("cni cache"));
  }
  auto j = parse_json(*text, "cni cache " + p);
  if (!j) return fail(j.error());
  if (!j->is_object() || json_string(*j, "kind") != "cniCacheV1" || !j->contains("result"))
    return fail(ErrorKind::Invalid, "cni cache " + p + ": not a cniCacheV1 record");
  CniCacheEntry e{network, container_id, ifname, (*j)["result"], j->value("capabilityArgs", nlohmann::json::object()),
                  {}, j->value("config", nlohmann::json())};
  if (auto a = j->find("cniArgs"); a != j->end() && a->is_array())
    for (const auto& kv : *a)
      if (kv.is_array() && kv.size() == 2 && kv[0].is_string() && kv[1].is_string())
        e.args.emplace_back(kv[0].get<std::string>(), kv[1].get<std::string>());
  return e;
}

Result<> CniCache::remove(const std::string& network, const std::string& container_id, const std::string& ifname) const {
  std::string p = path(network, container_id, ifname);
  if (::unlink(p.c_str()) != 0 && errno != ENOENT) return fail_sys("cni cache: remove " + p);
  return {};
}

Result<std::optional<CniCacheEntry>> CniCache::find(const std::string& container_id,
                                                    const std::string& ifname) const {
  std::string suffix = "-" + container_id + "-" + ifname;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    std::string file = it->path().filename().string();
    if (file.size() > suffix.size() && file.ends_with(suffix))
      return load(file.substr(0, file.size() - suffix.size()), container_id, ifname);
  }
  if (ec && ec != std::errc::no_such_file_or_directory)
    return fail(ErrorKind::Internal, "cni cache: read " + dir_ + ": " + ec.message());
  return std::nullopt;
}

}  // namespace berth::network
