#include "engine/volume_service.hpp"

#include <ftw.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <set>
#include <utility>

#include "common/fs.hpp"
#include "engine/container_id.hpp"
#include "engine/json_log.hpp"

namespace berth::engine {

namespace {

bool name_char(char c, bool first) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return !first && (c == '_' || c == '.' || c == '-');
}

}  // namespace

Result<> validate_volume_name(const std::string& name) {
  bool ok = name.size() >= 2;
  for (size_t i = 0; ok && i < name.size(); ++i) ok = name_char(name[i], i == 0);
  if (ok) return {};
  return fail(ErrorKind::Invalid, "\"" + name +
                                      "\" includes invalid characters for a local volume name, only "
                                      "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host "
                                      "directory, use absolute path");
}

Result<> validate_volume_options(const std::map<std::string, std::string>& opts) {
  static const std::set<std::string> valid = {"type", "device", "o", "size"};
  for (auto& [k, v] : opts)
    if (!valid.count(k)) return fail(ErrorKind::Invalid, "invalid option: \"" + k + "\"");
  if (opts.count("size")) return fail(ErrorKind::Invalid, "quota size requested but no quota support");
  // dockerd's mandatory pairs: device and type go together, o needs both.
  static const std::map<std::string, std::vector<std::string>> needs = {
      {"device", {"type"}}, {"type", {"device"}}, {"o", {"device", "type"}}};
  for (auto& [k, reqs] : needs)
    if (opts.count(k))
      for (auto& r : reqs)
        if (!opts.count(r)) return fail(ErrorKind::Invalid, "missing required option: \"" + r + "\"");
  if (opts.count("type")) {
    const auto& type = opts.at("type");
    if (type != "tmpfs" && type != "none")
      return fail(ErrorKind::Invalid, "invalid option \"type\": \"" + type + "\" (the local driver here mounts tmpfs and none)");
    if (type == "none") {
      const auto& dev = opts.at("device");
      if (dev.empty() || dev[0] != '/') return fail(ErrorKind::Invalid, "invalid option \"device\": \"" + dev + "\" is not an absolute path");
      if (opts.count("o") == 0 || opts.at("o").find("bind") == std::string::npos)
        return fail(ErrorKind::Invalid, "invalid option \"o\": type none needs o=bind");
    }
  }
  return {};
}

Result<std::unique_ptr<VolumeService>> VolumeService::open(const std::string& data_root) {
  std::string root = path_join(data_root, "volumes");
  BERTH_CHECK(mkdir_p(root, 0701), "create volumes directory");
  auto store = BERTH_TRY(VolumeStore::open(path_join(root, "metadata.db")), "");
  return std::unique_ptr<VolumeService>(new VolumeService(root, std::move(store)));
}

std::string VolumeService::mountpoint(const std::string& name) const {
  return path_join(path_join(root_, name), "_data");
}

Result<VolumeRecord> VolumeService::create(VolumeCreate req, bool* created) {
  if (created) *created = false;
  if (req.driver.empty()) req.driver = "local";
  if (req.name.empty()) {
    req.name = generate_id();
    req.labels.emplace(kAnonymousVolumeLabel, "");
  }
  const std::string ctx = "create " + req.name;
  if (req.driver != "local") return fail(make_error(ErrorKind::NotFound, "plugin \"" + req.driver + "\" not found").wrap(ctx));
  BERTH_CHECK(validate_volume_name(req.name), ctx);
  BERTH_CHECK(validate_volume_options(req.options), ctx);
  if (auto existing = store_->get(req.name)) return *existing;
  VolumeRecord v;
  v.name = req.name;
  v.driver = req.driver;
  v.labels = std::move(req.labels);
  v.options = std::move(req.options);
  v.created = rfc3339_now();
  // The directory first: a row never names a volume without one.
  BERTH_CHECK(mkdir_p(mountpoint(v.name), 0755), ctx);
  if (auto r = store_->insert(v); !r) {
    if (r.error().kind == ErrorKind::Conflict)
      if (auto existing = store_->get(v.name)) return *existing;  // a racing create won
    return fail(r.error().wrap(ctx));
  }
  if (created) *created = true;
  return v;
}

bool VolumeService::is_tmpfs(const VolumeRecord& v) {
  auto it = v.options.find("type");
  return it != v.options.end() && it->second == "tmpfs";
}

Result<> VolumeService::mount_for_use(const VolumeRecord& v, const std::string& container_id, bool* mounted) {
  if (mounted) *mounted = false;
  if (!is_tmpfs(v)) return {};
  // Recorded first: a crash between the two leaves a record that reconcile() drops, never a
  // mount nobody accounts for.
  BERTH_CHECK(store_->add_mounter(v.name, container_id), "");
  std::string mp = mountpoint(v.name);
  if (is_mountpoint(mp)) return {};
  std::string data = v.options.count("o") ? v.options.at("o") : "";
  if (::mount("tmpfs", mp.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, data.empty() ? nullptr : data.c_str()) != 0) {
    auto e = make_error(ErrorKind::Invalid, "error while mounting volume '" + mp + "': mount tmpfs (o=" + data + "): " +
                                                std::strerror(errno));
    return fail(e);  // the caller's release_mounts_of() drops the record
  }
  if (mounted) *mounted = true;
  return {};
}

void VolumeService::unmount_if_unused(const std::string& name) {
  auto users = store_->mounters(name);
  if (!users || !users->empty()) return;
  std::string mp = mountpoint(name);
  if (is_mountpoint(mp)) (void)umount2(mp.c_str(), MNT_DETACH);
}

void VolumeService::release_mounts_of(const std::string& container_id) {
  auto names = store_->remove_mounter(container_id);
  if (!names) return;
  for (auto& n : *names) unmount_if_unused(n);
}

Result<> VolumeService::reconcile(const std::vector<std::string>& existing, const std::vector<std::string>& running) {
  BERTH_CHECK(store_->reconcile(existing, running), "");
  for (auto& v : BERTH_TRY(store_->list(), "")) unmount_if_unused(v.name);
  return {};
}

Result<> VolumeService::remove(const std::string& name) {
  BERTH_CHECK(store_->remove(name), "");
  if (std::string mp = mountpoint(name); is_mountpoint(mp)) (void)umount2(mp.c_str(), MNT_DETACH);
  // name passed the store's lookup, which only holds validated names: no path tricks here.
  BERTH_CHECK(remove_all(path_join(root_, name)), "remove " + name);
  return {};
}

namespace {
thread_local int64_t g_size;
thread_local std::set<std::pair<dev_t, ino_t>>* g_seen;
int add_size(const char*, const struct stat* st, int type, struct FTW*) {
  if (type == FTW_F && g_seen->insert({st->st_dev, st->st_ino}).second) g_size += st->st_size;
  return 0;
}
}  // namespace

int64_t VolumeService::size(const std::string& name) const {
  std::set<std::pair<dev_t, ino_t>> seen;
  g_size = 0;
  g_seen = &seen;
  nftw(mountpoint(name).c_str(), add_size, 32, FTW_PHYS | FTW_MOUNT);
  return g_size;
}

}  // namespace berth::engine
