#include "network/cni_runner.hpp"

#include "common/json_util.hpp"
#include "common/log.hpp"

namespace berth::network {

nlohmann::json cni_port_mappings(const std::vector<CniPortMapping>& ports) {
  auto a = nlohmann::json::array();
  for (const auto& p : ports) {
    nlohmann::json o = {{"hostPort", p.host_port}, {"containerPort", p.container_port}, {"protocol", p.protocol}};
    if (!p.host_ip.empty()) o["hostIP"] = p.host_ip;
    a.push_back(std::move(o));
  }
  return a;
}

nlohmann::json CniRunner::plugin_stdin(size_t i, const nlohmann::json& capability_args, const nlohmann::json& prev) const {
  const auto& p = net_.plugins.at(i);
  nlohmann::json conf = p.conf;
  conf["name"] = net_.name;
  conf["cniVersion"] = net_.cni_version;
  conf.erase("runtimeConfig");  // only the runtime fills it
  nlohmann::json rc = nlohmann::json::object();
  if (capability_args.is_object())
    for (const auto& cap : p.capabilities)
      if (auto it = capability_args.find(cap); it != capability_args.end() && !it->is_null()) rc[cap] = *it;
  if (!rc.empty()) conf["runtimeConfig"] = std::move(rc);
  conf.erase("prevResult");
  if (!prev.is_null()) conf["prevResult"] = prev;
  return conf;
}

Result<std::vector<std::string>> CniRunner::find_plugins() const {
  // Every plugin is found before any runs: a missing one changes nothing.
  std::vector<std::string> paths;
  for (const auto& p : net_.plugins) {
    auto path = find_cni_plugin(p.type, opts_.plugin_dirs);
    if (!path) return fail(path.error());
    paths.push_back(*path);
  }
  return paths;
}

CniCall CniRunner::call(const std::string& command, const CniAttachment& a) const {
  return {command, a.container_id, a.netns, a.ifname, a.args, opts_.plugin_dirs};
}

Result<std::pair<nlohmann::json, CniResult>> CniRunner::add_step(size_t i, const std::string& path, const CniCall& c,
                                                                  const nlohmann::json& capability_args,
                                                                  const nlohmann::json& prev) const {
  const auto& type = net_.plugins[i].type;
  std::string what = "cni plugin " + type + ": ADD result";
  auto out = exec_cni_plugin(path, type, c, plugin_stdin(i, capability_args, prev).dump(), opts_.plugin_timeout);
  if (!out) return fail(out.error());
  auto j = parse_json(*out, what);
  if (!j) return fail(j.error());
  auto parsed = parse_cni_result(*j, what);
  if (!parsed) return fail(parsed.error());
  // The next plugin reads the list's version; a plugin that answered in another is converted.
  if (parsed->cni_version != net_.cni_version) {
    *j = cni_result_json(*parsed, net_.cni_version);
    parsed->cni_version = net_.cni_version;
  }
  return std::pair{std::move(*j), std::move(*parsed)};
}

Result<CniResult> CniRunner::add(const CniAttachment& a) const {
  std::string ctx = "cni network " + net_.name + ": ADD " + a.container_id;
  CniCall c = call("ADD", a);
  BERTH_CHECK(validate_cni_call(c), ctx);
  if (!a.capability_args.is_object()) return fail(ErrorKind::Invalid, ctx + ": capability arguments must be an object");
  auto paths = BERTH_TRY(find_plugins(), ctx);

  nlohmann::json prev;  // null before the first plugin
  std::optional<CniResult> last;
  for (size_t i = 0; i < paths.size(); ++i) {
    auto step = add_step(i, paths[i], c, a.capability_args, prev);
    if (!step) {
      if (auto r = run_del(a, a.capability_args, nlohmann::json()); !r)
        log::warn(ctx + ": cleaning up after the failure: " + r.error().what());
      return fail(step.error().wrap(ctx));
    }
    prev = std::move(step->first);
    last = std::move(step->second);
  }
  CniCacheEntry entry{net_.name, a.container_id, a.ifname, prev, a.capability_args, a.args, cni_conflist_json(net_)};
  if (auto r = cache_.save(entry); !r) {
    if (auto d = run_del(a, a.capability_args, prev); !d) log::warn(ctx + ": cleaning up after the failure: " + d.error().what());
    return fail(r.error().wrap(ctx));
  }
  return std::move(*last);
}

Result<> CniRunner::run_del(const CniAttachment& a, const nlohmann::json& capability_args, const nlohmann::json& prev) const {
  auto paths = BERTH_TRY(find_plugins(), "DEL");
  CniCall c = call("DEL", a);
  for (size_t i = paths.size(); i-- > 0;) {
    auto out = exec_cni_plugin(paths[i], net_.plugins[i].type, c, plugin_stdin(i, capability_args, prev).dump(), opts_.plugin_timeout);
    if (!out) return fail(out.error());  // the spec: stop at the first failure
  }
  return {};
}

Result<> CniRunner::del(const CniAttachment& a) const {
  std::string ctx = "cni network " + net_.name + ": DEL " + a.container_id;
  BERTH_CHECK(validate_cni_call(call("DEL", a)), ctx);
  auto cached = cache_.load(net_.name, a.container_id, a.ifname);
  if (!cached) log::warn(ctx + ": deleting without the cached result: " + cached.error().what());
  nlohmann::json prev, caps = a.capability_args;
  if (cached && *cached) {
    prev = (*cached)->result;
    // The kubelet passes the same values again; when the caller has none, ADD's are used.
    if (!caps.is_object() || caps.empty()) caps = (*cached)->capability_args;
  }
  BERTH_CHECK(run_del(a, caps, prev), ctx);
  BERTH_CHECK(cache_.remove(net_.name, a.container_id, a.ifname), ctx);
  return {};
}

Result<> CniRunner::check(const CniAttachment& a) const {
  std::string ctx = "cni network " + net_.name + ": CHECK " + a.container_id;
  if (!cni_version_has_check(net_.cni_version))
    return fail(ErrorKind::Invalid, ctx + ": CHECK needs cniVersion 0.4.0 or later, the list has " + net_.cni_version);
  if (net_.disable_check) return {};
  CniCall c = call("CHECK", a);
  BERTH_CHECK(validate_cni_call(c), ctx);
  auto cached = BERTH_TRY(cache_.load(net_.name, a.container_id, a.ifname), ctx);
  if (!cached) return fail(ErrorKind::NotFound, ctx + ": no cached ADD result (not attached?)");
  auto paths = BERTH_TRY(find_plugins(), ctx);
  for (size_t i = 0; i < paths.size(); ++i) {
    auto out = exec_cni_plugin(paths[i], net_.plugins[i].type, c, plugin_stdin(i, cached->capability_args, cached->result).dump(),
                               opts_.plugin_timeout);
    if (!out) return fail(out.error().wrap(ctx));
  }
  return {};
}

Result<std::optional<CniResult>> CniRunner::cached_result(const CniAttachment& a) const {
  auto cached = BERTH_TRY(cache_.load(net_.name, a.container_id, a.ifname), "cni network " + net_.name);
  if (!cached) return std::nullopt;
  auto r = parse_cni_result(cached->result, "cni cache " + cache_.path(net_.name, a.container_id, a.ifname));
  if (!r) return fail(r.error());
  return std::optional<CniResult>(std::move(*r));
}

Result<std::optional<CniRunner>> CniRunner::from_cache(const std::string& container_id, const std::string& ifname,
                                                       const CniOptions& options) {
  CniCache cache(options.cache_dir);
  auto entry = BERTH_TRY(cache.find(container_id, ifname), "");
  if (!entry || !entry->config.is_object()) return std::nullopt;
  auto net = BERTH_TRY(parse_cni_conflist(entry->config.dump(), cache.path(entry->network, container_id, ifname)), "");
  return std::optional<CniRunner>(CniRunner(std::move(net), options));
}

}  // namespace berth::network
