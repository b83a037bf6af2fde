// container prune and the writable layer's size: dockerd removes every container that is not
// running (or paused) and matches the until / label / label! filters (not another namespace's,
// unless a label filter names it), and reports the bytes their writable layers held.
#include <sys/stat.h>

#include <chrono>
#include <filesystem>

#include "engine/container_namespace.hpp"
#include "engine/container_service.hpp"

namespace berth::engine {

namespace {

// The filter's "until": a Go duration before now ("24h", "90m", "1h30m"), or a time
// parse_event_time reads. Seconds since the epoch.
Result<int64_t> until_seconds(const std::string& v) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (!v.empty() && v.find_first_of("hms") != std::string::npos && v.find_first_of("T:-") == std::string::npos) {
    double total = 0;
    size_t i = 0;
    while (i < v.size()) {
      size_t used = 0;
      double n = 0;
      try {
        n = std::stod(v.substr(i), &used);
      } catch (...) {
        return fail(ErrorKind::Invalid, "invalid time \"" + v + "\"");
      }
      i += used;
      if (i >= v.size()) return fail(ErrorKind::Invalid, "invalid time \"" + v + "\"");
      char unit = v[i++];
      if (unit == 'm' && i < v.size() && v[i] == 's') {
        total += n / 1000;
        ++i;
      } else if (unit == 'h' || unit == 'm' || unit == 's') {
        total += n * (unit == 'h' ? 3600 : unit == 'm' ? 60 : 1);
      } else {
        return fail(ErrorKind::Invalid, "invalid time \"" + v + "\"");
      }
    }
    return now - static_cast<int64_t>(total);
  }
  auto ns = BERTH_TRY(parse_event_time(v), "");
  return ns / 1000000000;
}

std::map<std::string, std::string> labels_of(const ContainerRecord& c) {
  std::map<std::string, std::string> out;
  auto cfg = nlohmann::json::parse(c.config_json, nullptr, false);
  if (cfg.is_object() && cfg.contains("Labels") && cfg["Labels"].is_object())
    for (auto& [k, v] : cfg["Labels"].items())
      if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

// "label!=k" or "label!=k=v": the container must not carry it.
bool excluded_by_labels(const Filters& f, const std::map<std::string, std::string>& labels) {
  for (const auto& v : f.get("label!")) {
    auto eq = v.find('=');
    auto it = labels.find(v.substr(0, eq));
    if (it != labels.end() && (eq == std::string::npos || it->second == v.substr(eq + 1))) return true;
  }
  return false;
}

int64_t created_seconds(const std::string& rfc3339) {
  auto ns = parse_event_time(rfc3339);
  return ns ? *ns / 1000000000 : 0;
}

}  // namespace

int64_t ContainerService::rw_size(const std::string& id) const {
  auto upper = images_.rootfs_upper_dir(id);
  if (!upper) return 0;
  namespace fs = std::filesystem;
  std::error_code ec;
  int64_t total = 0;
  std::set<std::pair<dev_t, ino_t>> seen;  // hard links count once
  for (fs::recursive_directory_iterator it(*upper, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    struct stat st{};
    if (lstat(it->path().c_str(), &st) != 0 || S_ISDIR(st.st_mode)) continue;
    if (st.st_nlink > 1 && !seen.insert({st.st_dev, st.st_ino}).second) continue;
    total += st.st_size;
  }
  return total;
}

Result<PruneResult> ContainerService::prune(const Filters& f) {
  std::optional<int64_t> until;
  for (const auto& v : f.get("until")) {
    if (until) return fail(ErrorKind::Invalid, "more than one until filter specified");
    until = BERTH_TRY(until_seconds(v), "");
  }
  PruneResult out;
  auto all = BERTH_TRY(store_.list(), "prune containers");
  for (auto it = all.rbegin(); it != all.rend(); ++it) {  // newest first, as dockerd reports them
    const auto& listed = *it;
    std::unique_lock lk(mu_);
    auto c = store_.get(listed.id);  // it may have started or gone meanwhile
    if (!c || is_live(c->state) || c->state == "removing") continue;
    if (until && created_seconds(c->created) >= *until) continue;
    auto labels = labels_of(*c);
    if (!f.match_labels("label", labels) || excluded_by_labels(f, labels)) continue;
    // Another client's containers (the CRI's) are its own to remove, unless named.
    if (labels.contains(kNamespaceLabel) && !(f.has("label") && namespace_asked(f.get("label")))) continue;
    if (netns_pinned(c->id)) continue;  // a pod sandbox: only its owner can release its namespace
    int64_t size = rw_size(c->id);
    if (auto r = remove_locked(*c); !r) return fail(r.error());
    out.deleted.push_back(c->id);
    out.reclaimed += size;
  }
  Event e;
  e.type = "container";
  e.action = "prune";
  e.attributes = {{"reclaimed", std::to_string(out.reclaimed)}};
  events_.publish(std::move(e));
  return out;
}

}  // namespace berth::engine
