#include "engine/container_service.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <sys/epoll.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/json_util.hpp"
#include "common/fs.hpp"
#include "common/log.hpp"
#include "common/process.hpp"
#include "engine/attach_protocol.hpp"
#include "engine/container_id.hpp"
#include "engine/exit_record.hpp"
#include "engine/health.hpp"
#include "engine/host_config_spec.hpp"
#include "engine/ipc_shm.hpp"
#include "engine/json_log.hpp"
#include "engine/log_config.hpp"
#include "engine/shim_request.hpp"
#include "engine/container_network.hpp"
#include "engine/port_bindings.hpp"
#include "engine/oci_spec_builder.hpp"
#include "engine/rlimit_clamp.hpp"
#include "engine/runtime_driver.hpp"
#include "engine/shim.hpp"
#include "engine/shim_launcher.hpp"
#include "engine/stop_signal.hpp"
#include "engine/userns_spec.hpp"
#include "runtime/process/idmap_mount.hpp"

namespace berth::engine {

using nlohmann::json;

namespace {

json host_config(const ContainerRecord& c) {
  auto j = json::parse(c.host_config_json, nullptr, false);
  return j.is_object() ? j : json::object();
}

json container_config(const ContainerRecord& c) {
  auto j = json::parse(c.config_json, nullptr, false);
  return j.is_object() ? j : json::object();
}

// Docker's merged view of the config: the image's values where the request gave none.
// The create body's Healthcheck over the image's HEALTHCHECK.
json healthcheck_of(const json& config, const json& image_config) {
  auto field = [](const json& j) { return j.is_object() ? j.value("Healthcheck", json()) : json(); };
  return merge_healthcheck(field(config), field(image_config));
}

std::string host_name() {
  char h[256] = {};
  return gethostname(h, sizeof h - 1) == 0 ? h : "";
}

json merged_config(json config, const json& image_config, const std::string& image, const json& spec) {
  config["Image"] = image;
  json env = json::array();
  for (auto& e : spec["process"]["env"])
    if (e.get<std::string>().rfind("HOSTNAME=", 0) != 0) env.push_back(e);
  config["Env"] = env;
  for (const char* k : {"Cmd", "Entrypoint", "WorkingDir", "User", "StopSignal"})
    if ((!config.contains(k) || config[k].is_null()) && image_config.is_object() && image_config.contains(k))
      config[k] = image_config[k];
  json labels = image_config.is_object() && image_config.contains("Labels") && image_config["Labels"].is_object()
                    ? image_config["Labels"]
                    : json::object();
  if (config.contains("Labels") && config["Labels"].is_object()) labels.update(config["Labels"]);
  config["Labels"] = labels;
  // --uts host: the host's; a joined uts namespace (CreateOptions::uts_container): the one asked for.
  std::string asked = json_string(config, "Hostname");
  config["Hostname"] = spec.value("hostname", asked.empty() ? host_name() : asked);
  if (auto hc = healthcheck_of(config, image_config); !hc.is_null()) config["Healthcheck"] = hc;
  return config;
}

std::vector<runtime::IdMapping> id_mappings(const std::vector<IdRange>& ranges) {
  std::vector<runtime::IdMapping> out;
  for (auto& r : ranges) out.push_back({r.container, r.host, r.size});
  return out;
}

}  // namespace

// The files berthd makes for the container and binds into it (/etc/hosts, resolv.conf,
// hostname) belong to its remapped root, as under dockerd, and so do the directories on the way
// to them and to its root filesystem (it must be able to reach them from its user namespace).
Result<> ContainerService::own_container_files(const std::string& id, const json& spec, const UsernsRemap& r) {
  std::string dir = container_dir(id);
  for (auto& d : {dir, bundle_dir(id)})
    if (chown(d.c_str(), 0, r.root_gid()) != 0 || chmod(d.c_str(), 0710) != 0) return fail_sys("userns-remap: own " + d);
  for (auto& m : spec.value("mounts", json::array())) {
    auto src = m.value("source", "");
    if (m.value("type", "") != "bind" || !src.starts_with(dir + "/")) continue;
    if (lchown(src.c_str(), r.root_uid(), r.root_gid()) != 0 && errno != ENOENT) return fail_sys("userns-remap: own " + src);
  }
  return {};
}

ContainerService::ContainerService(const DaemonConfig& config, image::ImageService& images, ContainerStore& store,
                                   EventBus& events)
    : config_(config), images_(images), store_(store), events_(events) {
  shim_path_ = default_shim_path();
  runtime_root_ = path_join(config_.exec_root, "runtime");
  seccomp_cache_ = path_join(config_.exec_root, "seccomp-cache");
}

ContainerService::~ContainerService() {
  if (monitor_.joinable()) {
    {
      std::lock_guard lk(watch_mu_);
      stopping_ = true;
    }
    uint64_t one = 1;
    (void)!write(wake_.get(), &one, sizeof one);
    monitor_.join();
  }
}

std::string ContainerService::container_dir(const std::string& id) const {
  return path_join(path_join(config_.data_root, "containers"), id);
}
std::string ContainerService::bundle_dir(const std::string& id) const { return path_join(container_dir(id), "bundle"); }
std::string ContainerService::state_dir(const std::string& id) const {
  return path_join(path_join(config_.exec_root, "containers"), id);
}
std::string ContainerService::log_path(const std::string& id) const {
  return container_log_path(container_dir(id), id);
}

LogConfig ContainerService::log_config(const ContainerRecord& c) const {
  auto hc = host_config(c);
  return log_config_from_json(hc.contains("LogConfig") ? hc["LogConfig"] : json());
}

std::optional<LogFile> ContainerService::log_file(const ContainerRecord& c) const {
  return log_file_for(log_config(c), container_dir(c.id), c.id);
}

Result<RuntimeChoice> ContainerService::runtime_named(const std::string& name) const {
  RuntimeChoice r;
  r.name = name;
  if (name == kBuiltinRuntime) {
    r.root = runtime_root_;
    r.seccomp_cache = seccomp_cache_;
    return r;
  }
  auto it = config_.runtimes.find(name);
  if (it == config_.runtimes.end()) return fail(ErrorKind::Invalid, "unknown or invalid runtime name: " + name);
  r.path = it->second.path;
  r.args = it->second.args;
  // Its own state root: its containers never mix with berth's.
  r.root = path_join(path_join(config_.exec_root, "runtimes"), name);
  return r;
}

RuntimeChoice ContainerService::runtime_in_use(const std::string& id) const {
  if (auto text = read_file(path_join(state_dir(id), kRuntimeFile))) {
    if (auto r = runtime_choice_from_json(json::parse(*text, nullptr, false))) return *r;
    log::error("container " + id + ": unreadable " + kRuntimeFile + ", using berth's runtime");
  }
  RuntimeChoice r;
  r.root = runtime_root_;
  r.seccomp_cache = seccomp_cache_;
  return r;
}

void ContainerService::event(const ContainerRecord& c, const std::string& action,
                             std::map<std::string, std::string> extra) {
  Event e;
  e.type = "container";
  e.action = action;
  e.actor_id = c.id;
  extra["name"] = c.name.empty() ? "" : c.name.substr(1);
  extra["image"] = c.image;
  auto cfg = container_config(c);
  if (cfg.contains("Labels") && cfg["Labels"].is_object())
    for (auto& [k, v] : cfg["Labels"].items())
      if (v.is_string()) extra.emplace(k, v.get<std::string>());
  e.attributes = std::move(extra);
  events_.publish(std::move(e));
}

Result<> ContainerService::restore() {
  BERTH_CHECK(mkdir_p(path_join(config_.data_root, "containers"), 0710), "create containers dir");
  // Remapped containers reach their bundles through it (dockerd gives the group the same way).
  if (config_.remap && chown(path_join(config_.data_root, "containers").c_str(), 0, config_.remap->root_gid()) != 0)
    return fail_sys("userns-remap: own the containers dir");
  BERTH_CHECK(mkdir_p(path_join(config_.exec_root, "containers"), 0700), "create shim state dir");
  BERTH_CHECK(mkdir_p(runtime_root_, 0700), "create runtime root");
  epoll_ = UniqueFd(epoll_create1(EPOLL_CLOEXEC));
  wake_ = UniqueFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!epoll_ || !wake_) return fail_sys("monitor setup");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_.get();
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &ev) != 0) return fail_sys("epoll_ctl");
  monitor_ = std::thread([this] { monitor_loop(); });

  auto all = BERTH_TRY(store_.list(), "restore containers");
  for (auto& c : all) {
    if (!is_live(c.state)) continue;
    auto shim = read_file(path_join(state_dir(c.id), kShimStateFile));
    pid_t shim_pid = 0;
    if (shim) {
      auto j = json::parse(*shim, nullptr, false);
      if (j.is_object()) shim_pid = j.value("Pid", 0);
    }
    if (shim_pid > 0 && process_running(shim_pid) && !read_exit_record(container_dir(c.id))) {
      serve_container_dns(c);
      watch(c.id, shim_pid);  // fires at once if it exited in between
    } else {
      on_exit(c.id);
    }
  }
  reconcile_volumes();
  restart_on_boot();
  return {};
}

void ContainerService::watch(const std::string& id, pid_t shim_pid) {
  UniqueFd pfd(static_cast<int>(syscall(SYS_pidfd_open, shim_pid, 0)));
  std::lock_guard lk(watch_mu_);
  if (!pfd) {  // already gone: the monitor handles it (the caller may hold mu_)
    gone_.push_back(id);
    uint64_t one = 1;
    (void)!write(wake_.get(), &one, sizeof one);
    return;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = pfd.get();
  epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, pfd.get(), &ev);
  watched_[pfd.get()] = id;
  pidfds_[id] = std::move(pfd);
}

void ContainerService::monitor_loop() {
  while (true) {
    epoll_event evs[16];
    int timeout;
    {
      std::lock_guard lk(watch_mu_);
      timeout = next_restart_timeout_ms();  // restart policies' back-off: the one timer
    }
    int n = epoll_wait(epoll_.get(), evs, 16, timeout);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return;
    std::vector<std::string> done, due;
    {
      std::lock_guard lk(watch_mu_);
      if (stopping_) return;
      due = take_due_restarts();
      uint64_t count;
      (void)!read(wake_.get(), &count, sizeof count);
      done.swap(gone_);
      for (int i = 0; i < n; ++i) {
        int fd = evs[i].data.fd;
        if (fd == wake_.get()) continue;
        auto it = watched_.find(fd);
        if (it == watched_.end()) continue;
        epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
        done.push_back(it->second);
        pidfds_.erase(it->second);
        watched_.erase(it);
      }
    }
    for (auto& id : done) on_exit(id);
    for (auto& id : due) restart_due(id);
  }
}

void ContainerService::on_exit(const std::string& id) {
  std::unique_lock lk(mu_);
  auto c = store_.get(id);
  if (!c || !is_live(c->state)) return;
  auto rec = read_exit_record(container_dir(id));
  // A shim killed before it could record: its container died with it (PDEATHSIG), as SIGKILL.
  ExitRecord r = rec ? *rec : ExitRecord{137, rfc3339_now(), ""};
  if (!rec) (void)make_runtime_driver(runtime_in_use(id))->remove(id, true);
  auto restart_in = restart_after_exit(*c, r.exit_code);
  c->state = restart_in ? "restarting" : "exited";
  c->exit_code = r.exit_code;
  c->finished = r.finished;
  c->error = r.error;
  c->pid = 0;
  if (auto u = store_.update_state(*c); !u) log::error("container " + id + ": " + u.error().what());
  (void)remove_all(state_dir(id));
  release_container_network(id);
  unmount_volumes_at_stop(id);
  if (r.oom_killed) event(*c, "oom");  // dockerd's, before the die
  event(*c, "die", {{"exitCode", std::to_string(r.exit_code)}});
  ++exits_[id];
  auto hc = host_config(*c);
  bool autoremove = hc.contains("AutoRemove") && hc["AutoRemove"].is_boolean() && hc["AutoRemove"].get<bool>();
  if (restart_in) schedule_restart(id, *restart_in);
  else if (autoremove) {
    if (auto rm = remove_locked(*c, true); !rm) log::error("auto-remove " + id + ": " + rm.error().what());
  }
  notify_changed();
}

// --ipc/--pid container:<id> (and the CRI's uts one) name the donor's namespaces by its pid: found
// again at each start (the donor may have restarted, and its old pid may now be another
// process's), as dockerd does.
Result<> ContainerService::refresh_joined_namespaces(const ContainerRecord& c, const json& hc) {
  auto joins = [&](const char* key) {
    return hc.contains(key) && hc[key].is_string() && hc[key].get<std::string>().rfind("container:", 0) == 0;
  };
  if (!joins("IpcMode") && !joins("PidMode") && !joins("UTSMode")) return {};
  auto path = path_join(bundle_dir(c.id), "config.json");
  auto text = BERTH_TRY(read_file(path), "start container " + c.id);
  auto spec = json::parse(text, nullptr, false);
  if (!spec.is_object()) return fail(ErrorKind::Internal, "start container " + c.id + ": unreadable config.json");
  auto ctx = host_config_context();
  BERTH_CHECK(apply_namespace_modes(spec, hc, ctx.donors, shareable_shm_dir(container_dir(c.id))), "");
  return write_file_atomic(path, spec.dump(2), 0600);
}

HostConfigContext ContainerService::host_config_context() {
  HostConfigContext ctx;
  ctx.security = host_security_context();
  ctx.facts = probe_host_facts();
  ctx.default_ulimits = config_.default_ulimits;
  ctx.donors = [this](const std::string& ref) -> Result<NamespaceDonor> {
    auto c = BERTH_TRY(store_.find(ref), "");
    auto hc = host_config(c);
    std::string ipc = hc.contains("IpcMode") && hc["IpcMode"].is_string() ? hc["IpcMode"].get<std::string>() : "";
    return NamespaceDonor{c.id, is_live(c.state) ? static_cast<pid_t>(c.pid) : 0, ipc,
                          shareable_shm_dir(container_dir(c.id))};
  };
  return ctx;
}

Result<CreateResult> ContainerService::create(const json& body, const std::string& name_in, const CreateOptions& opts) {
  if (!body.is_object()) return fail(ErrorKind::Invalid, "config cannot be empty in order to create a container");
  if (body.contains("Image") && !body["Image"].is_string()) return fail(ErrorKind::Invalid, "Image: expected a string");
  std::string image = json_string(body, "Image");
  if (image.empty()) return fail(ErrorKind::Invalid, "No image specified");
  std::string image_id;
  json image_config = json::object();
  if (!opts.no_image) {
    auto rec = images_.inspect(image);
    if (!rec) {
      if (rec.error().kind == ErrorKind::NotFound) return fail(ErrorKind::NotFound, "No such image: " + image);
      return fail(rec.error());
    }
    image_id = rec->id.str();
    if (auto text = images_.config_json(rec->id)) {
      auto j = json::parse(*text, nullptr, false);
      if (j.is_object() && j.contains("config") && j["config"].is_object()) image_config = j["config"];
    }
  }
  json hc = body.contains("HostConfig") && body["HostConfig"].is_object() ? body["HostConfig"] : json::object();
  if (hc.contains("AutoRemove") && !hc["AutoRemove"].is_boolean() && !hc["AutoRemove"].is_null())
    return fail(ErrorKind::Invalid, "json: cannot unmarshal " + std::string(hc["AutoRemove"].type_name()) +
                                        " into Go struct field HostConfig.AutoRemove of type bool");
  bool autoremove = hc.contains("AutoRemove") && hc["AutoRemove"].is_boolean() && hc["AutoRemove"].get<bool>();
  hc["RestartPolicy"] = restart_policy_json(BERTH_TRY(restart_policy_for_create(hc), ""));
  json config = body;
  config.erase("HostConfig");
  config.erase("NetworkingConfig");
  // The runtime and the log driver are settled before anything exists, and recorded as
  // dockerd shows them (HostConfig.Runtime, HostConfig.LogConfig) so a restarted berthd
  // starts the container the same way.
  if (hc.contains("Runtime") && !hc["Runtime"].is_null() && !hc["Runtime"].is_string())
    return fail(ErrorKind::Invalid, "HostConfig.Runtime: expected a string");
  std::string runtime_name = hc.value("Runtime", json()).is_string() ? hc["Runtime"].get<std::string>() : "";
  if (runtime_name.empty()) runtime_name = config_.default_runtime;
  auto runtime = BERTH_TRY(runtime_named(runtime_name), "");
  if (runtime.external() && json_flag(config, "Tty"))
    return fail(ErrorKind::Invalid, "a TTY is not supported with the external runtime \"" + runtime_name +
                                        "\" yet: run without -t, or with the berth runtime");
  auto logcfg = BERTH_TRY(resolve_log_config(hc.contains("LogConfig") ? hc["LogConfig"] : json(), config_.log_driver,
                                             config_.log_opts, opts.cri_log), "");
  hc["Runtime"] = runtime_name;
  hc["LogConfig"] = log_config_json(logcfg);
  if (auto ss = config.value("StopSignal", json()); ss.is_string() && !ss.get<std::string>().empty())
    BERTH_CHECK(parse_api_signal(ss.get<std::string>()), "");
  // --init (HostConfig.Init, else daemon.json's "init"): the host's tini must be there.
  if (hc.contains("Init") && !hc["Init"].is_null() && !hc["Init"].is_boolean())
    return fail(ErrorKind::Invalid, "HostConfig.Init: expected a boolean");
  std::string init_path;
  if (hc.value("Init", json()).is_boolean() ? hc["Init"].get<bool>() : config_.init) {
    init_path = config_.init_path;
    if (access(init_path.c_str(), X_OK) != 0)
      return fail(ErrorKind::Invalid, "--init: the init binary " + init_path +
                                          " is missing or not executable (install Debian's tini package, or set "
                                          "\"init-path\" in daemon.json)");
  }
  // Checked before anything exists: the spec is built once more with the resolved user below.
  HostConfigContext hctx = host_config_context();
  auto warnings = BERTH_TRY(normalize_host_config(hc, config, hctx), "");
  if (!opts.uts_container.empty()) hc["UTSMode"] = "container:" + opts.uts_container;
  auto remap = remap_for(config_.remap, hc);
  if (remap) BERTH_CHECK(check_remapped_host_config(hc), "");
  {
    auto dry = BERTH_TRY(build_oci_spec(image_config, config, SpecInputs{std::string(64, '0'), "/", {}}), "");
    hctx.resolve_groups = false;
    BERTH_CHECK(apply_host_config(dry, hc, std::string(64, '0'), hctx), "");
    hctx.resolve_groups = true;
  }
  BERTH_CHECK(health_config(healthcheck_of(config, image_config)), "");
  auto mounts = BERTH_TRY(plan_mounts(hc, config, image_config), "");
  auto exposed = BERTH_TRY(exposed_ports(config), "Config");
  for (auto& e : BERTH_TRY(exposed_ports(image_config), "image config"))
    if (std::ranges::find(exposed, e) == exposed.end()) exposed.push_back(e);
  BERTH_CHECK(port_requests(hc, exposed), "");

  ContainerRecord c;
  c.id = generate_id();
  c.name = name_in.empty() ? "" : BERTH_TRY(normalize_name(name_in), "");
  c.image = image;
  c.image_id = image_id;
  c.created = rfc3339_now();

  std::string dir = container_dir(c.id), rootfs = path_join(bundle_dir(c.id), "rootfs");
  bool rootfs_made = false, mounted = false, volumes_used = false;
  auto undo = [&] {
    if (volumes_used) release_mounts(c.id, true);
    release_shareable_shm(dir);
    if (mounted) (void)images_.unmount_rootfs(rootfs);
    if (rootfs_made) (void)images_.remove_rootfs(c.id);
    (void)remove_all(dir);
  };
  auto step = [&](Result<> r) -> Result<> {
    if (!r) undo();
    return r;
  };
  // A --rm container's writable layer dies with it: no syncs for it (see MountOptions).
  image::MountOptions mount_opts{autoremove};
  UniqueFd userns;  // remapped: the layers are seen through idmapped mounts, owned by its root
  if (remap) {
    userns = BERTH_TRY(runtime::user_namespace_fd(id_mappings(remap->uids), id_mappings(remap->gids)), "userns-remap");
    mount_opts.idmap_userns_fd = userns.get();
    mount_opts.upper_uid = remap->root_uid();
    mount_opts.upper_gid = remap->root_gid();
  }
  BERTH_CHECK(step(mkdir_p(rootfs, 0700)), "create container dir");
  if (!opts.no_image) {
    BERTH_CHECK(step(images_.create_rootfs(c.id, c.image_id)), "");
    rootfs_made = true;
    BERTH_CHECK(step(images_.mount_rootfs(c.id, rootfs, mount_opts)), "");
    mounted = true;
  }
  userns.reset();
  auto user = resolve_user(effective_user(image_config, config), read_in_root(rootfs, "etc/passwd"),
                           read_in_root(rootfs, "etc/group"));
  if (!user) {
    undo();
    return fail(user.error());
  }
  auto spec = build_oci_spec(image_config, config, SpecInputs{c.id, rootfs, *user});
  if (!spec) {
    undo();
    return fail(spec.error());
  }
  if (!init_path.empty()) add_init_process(*spec, init_path);
  hctx.group_file = read_in_root(rootfs, "etc/group");
  hctx.shm_dir = shareable_shm_dir(dir);
  if (auto r = apply_host_config(*spec, hc, c.id, hctx); !r) {
    undo();
    return fail(r.error());
  }
  if (auto r = plan_container_network(hc, body, exposed, c.id, *spec, spec->value("hostname", host_name()), spec->value("domainname", ""),
                                          opts.pinned_netns); !r) {
    undo();
    return fail(r.error());
  }
  if (remap) {
    add_user_namespace(*spec, *remap);
    if (auto r = own_container_files(c.id, *spec, *remap); !r) {
      undo();
      return fail(r.error());
    }
  }
  if (auto r = make_mounts(c.id, rootfs, mounts, *spec); !r) {
    undo();
    return fail(r.error());
  }
  volumes_used = true;
  if (runtime.external())
    for (auto& w : clamp_rlimits_to_host(*spec)) warnings.push_back(w);
  BERTH_CHECK(step(write_file_atomic(path_join(bundle_dir(c.id), "config.json"), spec->dump(2), 0600)), "write config.json");
  c.config_json = merged_config(config, image_config, image, *spec).dump();
  c.host_config_json = hc.dump();
  Result<> ins;
  for (int attempt = 0; attempt < 10; ++attempt) {
    bool generated = name_in.empty();
    if (generated) c.name = "/" + generate_name();
    ins = store_.insert(c);
    if (ins || !generated || ins.error().kind != ErrorKind::Conflict) break;
  }
  if (!ins) {
    undo();
    return fail(ins.error());
  }
  event(c, "create");
  return CreateResult{c.id, warnings};
}

// Called with mu_ held; releases it while the shim creates and starts the container, so
// starts of different containers run in parallel. starting_ keeps this container's other
// transitions (a second start, a remove) out until the result is recorded.
Result<> ContainerService::start_locked(std::unique_lock<std::mutex>& lk, ContainerRecord& c) {
  if (is_live(c.state) || starting_.contains(c.id))
    return fail(ErrorKind::Conflict, "container already started");  // 304 at the API
  std::string sdir = state_dir(c.id), cdir = container_dir(c.id);
  (void)remove_all(sdir);
  BERTH_CHECK(mkdir_p(sdir, 0700), "create shim state dir");
  (void)unlink(path_join(cdir, kExitRecordFile).c_str());
  auto hc = host_config(c);
  if (hc.value("IpcMode", json("")) == "shareable") {
    BERTH_CHECK(ensure_shareable_shm(cdir, hc.value("ShmSize", json(0)).is_number() ? hc["ShmSize"].get<int64_t>() : 0),
                "start container " + c.id);
    // Its /dev/shm is a host tmpfs: the remapped root's, as the private one made inside is.
    if (auto root = remapped_root_of(c.id); root && chown(shareable_shm_dir(cdir).c_str(), root->first, root->second) != 0)
      return fail_sys("start container " + c.id + ": userns-remap: own /dev/shm");
  }
  if (auto r = refresh_joined_namespaces(c, hc); !r) {
    (void)remove_all(sdir);
    return r;
  }
  if (auto r = mount_volumes_for_start(c); !r) {
    unmount_volumes_at_stop(c.id);
    (void)remove_all(sdir);
    return r;
  }
  auto cfg = container_config(c);
  std::vector<std::string> args = {"--id",           c.id,          "--bundle",       bundle_dir(c.id),
                                   "--container-dir", cdir,          "--state-dir",    sdir,
                                   "--runtime-root", runtime_root_, "--seccomp-cache", seccomp_cache_};
  if (json_flag(cfg, "OpenStdin")) args.push_back("--stdin");
  auto logcfg = log_config(c);
  args.insert(args.end(), {"--log-driver", logcfg.type});
  for (auto& [k, v] : logcfg.config) args.insert(args.end(), {"--log-opt", k + "=" + v});
  auto runtime = runtime_named(hc.value("Runtime", json()).is_string() ? hc["Runtime"].get<std::string>() : kBuiltinRuntime);
  if (!runtime) {  // daemon.json lost the runtime since create
    unmount_volumes_at_stop(c.id);
    (void)remove_all(sdir);
    return fail(runtime.error());
  }
  if (auto m = runtime->external() ? mkdir_p(runtime->root, 0700) : Result<>{}; !m) {
    unmount_volumes_at_stop(c.id);
    (void)remove_all(sdir);
    return fail(m.error().wrap("create runtime root"));
  }
  if (auto w = write_file_atomic(path_join(sdir, kRuntimeFile), runtime_choice_json(*runtime).dump() + "\n", 0600); !w) {
    unmount_volumes_at_stop(c.id);
    (void)remove_all(sdir);
    return fail(w.error().wrap("record runtime"));
  }
  std::vector<std::shared_ptr<AttachWaiter>> waiters;
  if (auto it = attach_waiters_.find(c.id); it != attach_waiters_.end()) waiters = it->second;
  if (auto cs = host_config(c).value("ConsoleSize", json::array()); cs.is_array() && cs.size() == 2 &&
      cs[0].is_number_unsigned() && cs[1].is_number_unsigned() && cs[0].get<uint64_t>() > 0 &&
      cs[1].get<uint64_t>() > 0 && cs[0].get<uint64_t>() <= kMaxWinSize && cs[1].get<uint64_t>() <= kMaxWinSize)
    args.insert(args.end(), {"--console-size", std::to_string(cs[0].get<uint64_t>()) + "x" + std::to_string(cs[1].get<uint64_t>())});
  if (!waiters.empty()) args.insert(args.end(), {"--attach-wait", std::to_string(waiters.size())});
  starting_.insert(c.id);
  lk.unlock();
  // The network namespace and its interfaces exist before the container's process does.
  auto net = connect_container_network(c);
  Result<ShimStarted> started = net ? launch_shim(shim_path_, args) : fail(net.error());
  if (!started) release_container_network(c.id);
  lk.lock();
  starting_.erase(c.id);
  notify_changed();
  // The shim is not watched yet, so its exit cannot have been recorded in between.
  if (!started) {
    unmount_volumes_at_stop(c.id);
    (void)remove_all(sdir);
    c.error = started.error().what();
    (void)store_.update_state(c);
    // A network that cannot be had is the caller's problem (its status); anything else is 500.
    if (!net) return fail(started.error());
    return fail(ErrorKind::Internal, c.error);  // dockerd answers a failed start with 500 / its error
  }
  c.state = "running";
  c.pid = started->container_pid;
  c.started = rfc3339_now();
  c.finished = "";
  c.exit_code = 0;
  c.error = "";
  BERTH_CHECK(store_.update_state(c), "record start");
  event(c, "start");
  watch(c.id, started->shim_pid);
  // Attaches that were waiting for this start: subscribed before the shim reads any output.
  attach_waiters_.erase(c.id);
  for (auto& w : waiters) {
    std::lock_guard wl(w->mu);
    auto fd = connect_attached(sdir);
    if (fd) w->shim = std::move(*fd);
    else w->error = fd.error().what();
    uint64_t one = 1;
    (void)!::write(w->ready.get(), &one, sizeof one);
  }
  return {};
}

Result<UniqueFd> ContainerService::connect_attached(const std::string& sdir) {
  auto fd = BERTH_TRY(connect_attach_socket(sdir), "");
  if (!send_all(fd.get(), encode_frame(FrameType::Attach))) return fail_sys("attach to the shim");
  return fd;
}

Result<AttachTarget> ContainerService::attach(std::string_view ref) {
  std::lock_guard lk(mu_);
  auto c = BERTH_TRY(store_.find(ref), "");
  AttachTarget t;
  if (c.state == "running") {
    t.shim = BERTH_TRY(connect_attached(state_dir(c.id)), "attach to container " + c.id);
    return t;
  }
  t.waiter = std::make_shared<AttachWaiter>();
  t.waiter->ready = UniqueFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!t.waiter->ready) return fail_sys("eventfd");
  attach_waiters_[c.id].push_back(t.waiter);
  return t;
}

void ContainerService::cancel_attach(const std::string& id, const std::shared_ptr<AttachWaiter>& w) {
  std::lock_guard lk(mu_);
  auto it = attach_waiters_.find(id);
  if (it == attach_waiters_.end()) return;
  std::erase(it->second, w);
  if (it->second.empty()) attach_waiters_.erase(it);
}

Result<> ContainerService::resize(std::string_view ref, uint32_t rows, uint32_t cols) {
  UniqueFd fd;
  std::string id;
  {
    std::lock_guard lk(mu_);
    auto c = BERTH_TRY(store_.find(ref), "");
    id = c.id;
    if (c.state != "running") return fail(ErrorKind::Conflict, "Container " + c.id + " is not running");
    fd = BERTH_TRY(connect_attach_socket(state_dir(c.id)), "resize container " + c.id);
  }
  return shim_request(std::move(fd), encode_resize(rows, cols), "resize container " + id, ErrorKind::Invalid);
}

Result<> ContainerService::start(std::string_view ref) {
  std::unique_lock lk(mu_);
  auto c = BERTH_TRY(store_.find(ref), "");
  if (c.state == "paused") return fail(ErrorKind::Conflict, "cannot start a paused container, try unpause instead");
  if (c.state == "running" || c.state == "restarting" || starting_.contains(c.id))
    return fail(ErrorKind::Conflict, "container already started");  // 304 at the API
  reset_restart_state(c);
  auto r = start_locked(lk, c);
  // As dockerd: an --rm container that cannot start goes (`docker run --rm` waits for it).
  if (auto hc = host_config(c); !r && hc.contains("AutoRemove") && hc["AutoRemove"] == true) {
    if (auto rm = remove_locked(c, true); !rm) log::error("auto-remove " + c.id + ": " + rm.error().what());
  }
  return r;
}

Result<> ContainerService::signal_container(const ContainerRecord& c, int sig) {
  auto r = make_runtime_driver(runtime_in_use(c.id))->kill(c.id, sig);
  if (!r) return fail(r.error().wrap("cannot kill container " + c.id));
  return {};
}

bool ContainerService::wait_stopped(std::unique_lock<std::mutex>& lk, const std::string& id,
                                    std::chrono::milliseconds timeout) {
  int seen = exits_[id];
  auto stopped = [&] {
    if (exits_[id] != seen) return true;
    auto c = store_.get(id);
    return !c || !is_live(c->state);
  };
  return changed_.wait_for(lk, timeout, stopped);
}

Result<> ContainerService::kill(std::string_view ref, const std::string& signal) {
  std::unique_lock lk(mu_);
  auto c = BERTH_TRY(store_.find(ref), "");
  int sig = SIGKILL;
  if (!signal.empty()) sig = BERTH_TRY(parse_api_signal(signal), "");
  if (c.state == "restarting") {  // nothing to signal: the loop ends (dockerd's ExitOnNext)
    stop_restart_loop(c, true);
    return {};
  }
  if (!is_live(c.state))
    return fail(ErrorKind::Conflict, "Cannot kill container: " + std::string(ref) + ": Container " + c.id + " is not running");
  // dockerd ends the restart loop for SIGKILL and for the stop signal (any signal without one).
  auto cfg = container_config(c);
  bool has_stop_signal = cfg.value("StopSignal", json()).is_string() && !cfg["StopSignal"].get<std::string>().empty();
  auto stop_sig = container_stop_signal(cfg);
  stop_restart_loop(c, sig == SIGKILL || !has_stop_signal || (stop_sig && *stop_sig == sig));
  BERTH_CHECK(signal_container(c, sig), "");
  thaw_for_signal(c, sig);
  event(c, "kill", {{"signal", std::to_string(sig)}});
  return {};
}

Result<> ContainerService::stop(std::string_view ref, std::optional<int> timeout, const std::string& signal) {
  std::unique_lock lk(mu_);
  auto c = BERTH_TRY(store_.find(ref), "");
  // A start in flight (a policy's restart) settles first: its result is what gets stopped.
  if (starting_.contains(c.id)) {
    changed_.wait_for(lk, std::chrono::seconds(60), [&] { return !starting_.contains(c.id); });
    c = BERTH_TRY(store_.find(c.id), "");
  }
  if (c.state == "restarting") {
    stop_restart_loop(c, true);
    event(c, "stop");
    return {};
  }
  if (!is_live(c.state)) return fail(ErrorKind::Exists, "container already stopped");  // 304 at the API
  auto cfg = container_config(c);
  int sig = BERTH_TRY(signal.empty() ? container_stop_signal(cfg) : parse_api_signal(signal), "");
  int secs = timeout ? *timeout : container_stop_timeout(cfg);
  stop_restart_loop(c, true);
  if (secs != 0) {
    (void)signal_container(c, sig);
    thaw_for_signal(c, sig);
    event(c, "kill", {{"signal", std::to_string(sig)}});
    // A negative timeout waits as long as it takes (dockerd's -1).
    auto wait_for = secs < 0 ? std::chrono::seconds(std::chrono::hours(24 * 365)) : std::chrono::seconds(secs);
    if (wait_stopped(lk, c.id, wait_for)) {
      event(c, "stop");
      return {};
    }
  }
  (void)signal_container(c, SIGKILL);
  thaw_for_signal(c, SIGKILL);
  event(c, "kill", {{"signal", "9"}});
  if (!wait_stopped(lk, c.id, std::chrono::seconds(30)))
    return fail(ErrorKind::Internal, "container " + c.id + " did not exit after SIGKILL");
  event(c, "stop");
  return {};
}

Result<> ContainerService::restart(std::string_view ref, std::optional<int> timeout) {
  auto c = BERTH_TRY(store_.find(ref), "");
  if (is_live(c.state)) {
    auto s = stop(c.id, timeout, "");
    if (!s && s.error().kind != ErrorKind::Exists) return s;
  }
  std::unique_lock lk(mu_);
  auto now = BERTH_TRY(store_.get(c.id), "");
  if (is_live(now.state) || starting_.contains(now.id)) return {};
  reset_restart_state(now);
  BERTH_CHECK(start_locked(lk, now), "");
  event(now, "restart");
  return {};
}

Result<> ContainerService::remove_locked(const ContainerRecord& c, bool volumes) {
  std::string rootfs = path_join(bundle_dir(c.id), "rootfs");
  // A container made without an image (CreateOptions::no_image) has a plain directory.
  if (!c.image_id.empty()) {
    BERTH_CHECK(images_.unmount_rootfs(rootfs), "remove container " + c.id);
    auto rr = images_.remove_rootfs(c.id);
    if (!rr && rr.error().kind != ErrorKind::NotFound) return fail(rr.error().wrap("remove container " + c.id));
  }
  BERTH_CHECK(store_.remove(c.id), "remove container " + c.id);
  release_container_network(c.id);
  release_mounts(c.id, volumes);
  // Attaches waiting for a start that will never come end now.
  if (auto it = attach_waiters_.find(c.id); it != attach_waiters_.end()) {
    for (auto& w : it->second) {
      std::lock_guard wl(w->mu);
      w->error = "container " + c.id + " was removed";
      uint64_t one = 1;
      (void)!::write(w->ready.get(), &one, sizeof one);
    }
    attach_waiters_.erase(it);
  }
  release_shareable_shm(container_dir(c.id));
  (void)remove_all(container_dir(c.id));
  (void)remove_all(state_dir(c.id));
  if (removed_.size() > 1000) removed_.clear();
  removed_[c.id] = WaitResult{c.exit_code, c.error};
  event(c, "destroy");
  notify_changed();
  return {};
}

Result<> ContainerService::remove(std::string_view ref, bool force, bool volumes) {
  std::unique_lock lk(mu_);
  auto c = BERTH_TRY(store_.find(ref), "");
  // A start in flight owns the root filesystem until its result is recorded.
  if (starting_.contains(c.id)) {
    changed_.wait_for(lk, std::chrono::seconds(60), [&] { return !starting_.contains(c.id); });
    c = BERTH_TRY(store_.find(c.id), "");
  }
  if (c.state == "restarting") {
    if (!force)
      return fail(ErrorKind::Conflict, "cannot remove container \"" + c.name +
                                           "\": container is restarting: stop the container before removing or force remove");
    stop_restart_loop(c, true);
  }
  if (is_live(c.state)) {
    if (!force && c.state == "paused")
      return fail(ErrorKind::Conflict, "cannot remove container \"" + c.name + "\": container is paused and must be unpaused first");
    if (!force)
      return fail(ErrorKind::Conflict, "cannot remove container \"" + c.name +
                                           "\": container is running: stop the container before removing or force remove");
    stop_restart_loop(c, true);  // its exit must not start it again
    (void)signal_container(c, SIGKILL);
    thaw_for_signal(c, SIGKILL);
    event(c, "kill", {{"signal", "9"}});
    if (!wait_stopped(lk, c.id, std::chrono::seconds(30)))
      return fail(ErrorKind::Internal, "container " + c.id + " did not exit after SIGKILL");
    auto now = store_.get(c.id);
    if (!now) return {};  // auto-removed on exit
    c = *now;
  }
  return remove_locked(c, volumes);
}

int ContainerService::exit_count(const std::string& id) {
  std::lock_guard lk(mu_);
  return exits_[id];
}

std::optional<WaitResult> ContainerService::wait_check(const std::string& id, WaitCondition cond, int seen) {
  auto c = store_.get(id);
  if (!c) {
    if (auto it = removed_.find(id); it != removed_.end()) return it->second;
    return WaitResult{};
  }
  if (cond == WaitCondition::Removed) return std::nullopt;
  bool running = is_live(c->state) || c->state == "restarting" || starting_.contains(id);
  bool done = cond == WaitCondition::NotRunning ? !running : exits_[id] != seen;
  if (done) return WaitResult{c->exit_code, c->error};
  return std::nullopt;
}

Result<std::pair<std::string, int>> ContainerService::wait_target(std::string_view ref, WaitCondition cond,
                                                                 std::optional<int> exits_before,
                                                                 std::optional<WaitResult>& gone) {
  auto found = store_.find(ref);
  if (!found) {
    // `docker run --rm` may ask after the container has ended and gone.
    if (cond == WaitCondition::Removed)
      if (auto it = removed_.find(std::string(ref)); it != removed_.end()) {
        gone = it->second;
        return std::pair<std::string, int>{};
      }
    return fail(found.error());
  }
  return std::pair{found->id, exits_before ? *exits_before : exits_[found->id]};
}

Result<WaitResult> ContainerService::wait(std::string_view ref, WaitCondition cond, std::optional<int> exits_before) {
  std::unique_lock lk(mu_);
  std::optional<WaitResult> r;
  auto [id, seen] = BERTH_TRY(wait_target(ref, cond, exits_before, r), "");
  if (r) return *r;
  changed_.wait(lk, [&] { return (r = wait_check(id, cond, seen)).has_value(); });
  return *r;
}

Result<std::optional<WaitResult>> ContainerService::try_wait(std::string_view ref, WaitCondition cond,
                                                              std::optional<int> exits_before) {
  std::lock_guard lk(mu_);
  std::optional<WaitResult> r;
  auto [id, seen] = BERTH_TRY(wait_target(ref, cond, exits_before, r), "");
  if (r) return r;
  return wait_check(id, cond, seen);
}

ContainerService::ChangeWatch::~ChangeWatch() {
  std::lock_guard lk(svc_->mu_);
  std::erase(svc_->watchers_, fd_.get());
}

void ContainerService::ChangeWatch::clear() {
  uint64_t n;
  (void)!read(fd_.get(), &n, sizeof n);
}

Result<std::unique_ptr<ContainerService::ChangeWatch>> ContainerService::watch_changes() {
  UniqueFd fd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!fd) return fail_sys("eventfd");
  std::lock_guard lk(mu_);
  watchers_.push_back(fd.get());
  return std::unique_ptr<ChangeWatch>(new ChangeWatch(this, std::move(fd)));
}

void ContainerService::notify_changed() {
  changed_.notify_all();
  uint64_t one = 1;
  for (int fd : watchers_) (void)!write(fd, &one, sizeof one);
}

}  // namespace berth::engine
