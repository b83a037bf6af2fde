#include "runtime/state.hpp"

#include <dirent.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>

#include "common/fs.hpp"
#include "common/json_util.hpp"
#include "common/process.hpp"
#include "runtime/cgroup/cgroup.hpp"

namespace berth::runtime {

const char* status_name(Status s) {
  switch (s) {
    case Status::Creating: return "creating";
    case Status::Created: return "created";
    case Status::Running: return "running";
    case Status::Paused: return "paused";
    case Status::Stopped: return "stopped";
  }
  return "unknown";
}

Result<> validate_id(const std::string& id) {
  if (id.empty()) return fail(ErrorKind::Invalid, "container id cannot be empty");
  if (id == "." || id == ".." || id.size() > 1024 ||
      id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-.") != std::string::npos)
    return fail(ErrorKind::Invalid, "invalid container id format: " + id);
  return {};
}

Result<> StateStore::reserve(const std::string& id) {
  BERTH_CHECK(mkdir_p(root_, 0711), "create state root");
  if (::mkdir(dir(id).c_str(), 0711) != 0) {
    if (errno == EEXIST) return fail(ErrorKind::Exists, "container with id " + id + " already exists");
    return fail_sys("create state dir " + dir(id));
  }
  return {};
}

Result<> StateStore::save(const ContainerState& st) {
  nlohmann::json j = {{"id", st.id},         {"pid", st.pid},         {"start_time", st.start_time},
                      {"bundle", st.bundle}, {"rootfs", st.rootfs},   {"created", st.created},
                      {"owner", st.owner},   {"annotations", st.annotations}, {"config", st.config},
                      {"cgroup", st.cgroup}, {"dropped_caps", st.dropped_caps}};
  return write_file_atomic(dir(st.id) + "/state.json", j.dump(), 0600);
}

Result<ContainerState> StateStore::load(const std::string& id) const {
  BERTH_CHECK(validate_id(id), "");
  auto text = read_file(dir(id) + "/state.json");
  if (!text) {
    if (text.error().errnum == ENOENT) return fail(ErrorKind::NotFound, "container " + id + " does not exist");
    return fail(text.error());
  }
  auto j = BERTH_TRY(parse_json(*text, "state of container " + id), "");
  ContainerState st;
  try {
    st.id = j.at("id");
    st.pid = j.at("pid");
    st.start_time = j.at("start_time");
    st.bundle = j.at("bundle");
    st.rootfs = j.at("rootfs");
    st.created = j.at("created");
    st.owner = j.value("owner", "");
    st.annotations = j.value("annotations", std::map<std::string, std::string>{});
    st.config = j.value("config", nlohmann::json::object());
    st.cgroup = j.value("cgroup", nlohmann::json());
    st.dropped_caps = j.value("dropped_caps", std::vector<std::string>{});
  } catch (const std::exception& e) {
    return fail(ErrorKind::Internal, "state of container " + id + " is corrupt: " + e.what());
  }
  return st;
}

Result<> StateStore::remove(const std::string& id) { return remove_all(dir(id)); }

std::vector<std::string> StateStore::list() const {
  std::vector<std::string> out;
  DIR* d = opendir(root_.c_str());
  if (!d) return out;
  while (auto* e = readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    if (path_exists(root_ + "/" + n + "/state.json")) out.push_back(n);
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

Status container_status(const StateStore& store, const ContainerState& st) {
  if (st.pid <= 0) return Status::Stopped;
  auto start = process_start_time(st.pid);
  if (!start || *start != st.start_time || !process_running(st.pid)) return Status::Stopped;
  if (path_exists(store.fifo(st.id))) return Status::Created;
  if (!st.cgroup.is_null()) {
    if (auto m = load_cgroup_manager(st.cgroup)) {
      auto fr = (*m)->frozen();
      if (fr && *fr) return Status::Paused;
    }
  }
  return Status::Running;
}

nlohmann::json oci_state(const ContainerState& st, Status status) {
  nlohmann::json j = {{"ociVersion", "1.2.0"}, {"id", st.id},         {"pid", status == Status::Stopped ? 0 : st.pid},
                      {"status", status_name(status)}, {"bundle", st.bundle}, {"rootfs", st.rootfs},
                      {"created", st.created}, {"owner", st.owner}};
  j["annotations"] = st.annotations;
  return j;
}

std::string rfc3339_now() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  tm t;
  gmtime_r(&ts.tv_sec, &t);
  char buf[64];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
  snprintf(buf + n, sizeof buf - n, ".%09ldZ", ts.tv_nsec);
  return buf;
}

}  // namespace berth::runtime
