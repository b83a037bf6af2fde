#include "engine/build_executor.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <thread>
#include <set>

#include "common/fs.hpp"
#include "common/json_util.hpp"
#include "common/log.hpp"
#include "common/text.hpp"
#include "engine/build/build_plan.hpp"
#include "engine/build/config_apply.hpp"
#include "engine/build/dockerfile_parser.hpp"
#include "engine/build/instruction_expand.hpp"
#include "engine/build_copy.hpp"
#include "engine/build_leftovers.hpp"
#include "engine/build_rootfs_view.hpp"
#include "engine/build_run_mounts.hpp"
#include "engine/build_step_image.hpp"
#include "engine/log_reader.hpp"
#include "engine/path_in_root.hpp"
#include "engine/stop_signal.hpp"
#include "engine/user_lookup.hpp"
#include "image/reference.hpp"
#include "image/safe_path.hpp"

namespace berth::engine {

using nlohmann::json;
namespace b = build;

namespace {

constexpr size_t kLastLines = 10;  // of a failed RUN's output, in its error
// How often a RUN of a concurrent stage looks whether another stage failed (its wait has one
// fd, the log's; a failure elsewhere has none to wake it).
constexpr int kStopCheckMs = 200;
constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string short_id(const image::Digest& d) { return d.hex().substr(0, 12); }

b::Vars env_vars(const json& config) {
  b::Vars v;
  if (config.contains("Env") && config["Env"].is_array())
    for (auto& e : config["Env"]) {
      if (!e.is_string()) continue;
      auto s = e.get<std::string>();
      auto eq = s.find('=');
      if (eq != std::string::npos) v[s.substr(0, eq)] = s.substr(eq + 1);
    }
  return v;
}

// The argv a RUN runs. Heredocs as BuildKit runs them: `RUN <<EOF` alone runs the body as a
// script with the shell; otherwise the shell gets the line with its here-documents, which it
// reads itself.
std::vector<std::string> run_argv(const b::CommandLine& c, const json& config) {
  if (c.files.empty() || !c.prepend_shell) return b::resolve_cmdline(c, config);
  auto shell = b::stage_shell(config);
  std::string line = c.args.empty() ? "" : c.args[0];
  std::string trimmed = line;
  std::erase_if(trimmed, [](char ch) { return ch == ' ' || ch == '\t'; });
  const auto& h = c.files[0];
  if (c.files.size() == 1 &&
      (trimmed == "<<" + h.name || trimmed == "<<-" + h.name || trimmed == "<<\"" + h.name + "\"" ||
       trimmed == "<<'" + h.name + "'")) {
    shell.push_back(h.content);
    return shell;
  }
  for (auto& f : c.files) line += "\n" + f.content + f.name;
  shell.push_back(line);
  return shell;
}

class Executor {
 public:
  Executor(ContainerService& c, image::ImageService& i, BuildCache& cache, const BuildOptions& o, const BuildIo& io)
      : containers_(c), images_(i), cache_(cache), opts_(o), io_(io) {}

  Result<BuildResult> run();

 private:
  struct Stage {
    std::optional<image::Digest> image;
    b::StageConfig cfg;
  };

  Result<> out(const std::string& text) {
    if (stopping_) return fail(ErrorKind::Unavailable, "build cancelled: another stage failed");
    if (!io_.out(text)) return fail(ErrorKind::Unavailable, "build cancelled: the client went away");
    return {};
  }
  // Runs one wave of independent stages, each on a thread of its own when there are several;
  // the first failure stops the others (at their next output, or within kStopCheckMs in a RUN).
  Result<> run_wave(const std::vector<int>& wave);
  const Stage* done_stage(int index);
  Result<> run_stage(const b::PlannedStage& ps, bool is_target);
  // Looks key up in the cache, else makes the step's image and records it; prints the id.
  Result<> step(Stage& st, const std::string& key, const std::function<Result<image::ImageRecord>()>& make);
  std::string cache_key(const Stage& st, const std::vector<std::string>& parts) const;
  Result<image::ImageRecord> run_container(Stage& st, const b::Instruction& ins, const std::vector<std::string>& argv,
                                           const std::vector<std::string>& run_env, const std::string& network,
                                           const std::string& created_by, RunMounts* mounts);
  // A --from or --mount from= value: the stage's result or the image, as an image ID.
  Result<std::string> image_of(const std::string& from);
  // env: what an unquoted heredoc's body expands against.
  Result<> copy(Stage& st, const b::Instruction& ins, b::CopyCmd cp, const b::Vars& env);
  Result<CopyOwnership> ownership(Stage& st, const b::CopyCmd& cp);
  Result<image::ImageRecord> workdir(Stage& st, const std::string& created_by);
  // Whether path (absolute) is a directory in img (a symlink to one counts unless it leads out,
  // absolute symlinks included: they are refused rather than resolved).
  Result<bool> is_dir_in_image(const image::Digest& img, const std::string& path);
  Result<std::string> make_staging();  // an empty directory for a layer, removed by the caller

  ContainerService& containers_;
  image::ImageService& images_;
  BuildCache& cache_;
  const BuildOptions& opts_;
  const BuildIo& io_;
  b::Dockerfile df_;
  b::BuildPlan plan_;
  std::unique_ptr<b::BuildArgs> args_;
  std::mutex done_mu_;
  std::map<int, Stage> done_;  // under done_mu_: stages of one wave finish side by side
  std::map<int, int> first_step_;  // each stage's "Step n" number, as a sequential build counts
  int steps_ = 0;
  bool concurrent_ = false;           // set before a wave's threads start
  std::atomic<bool> stopping_{false};  // a stage failed: the others stop
};

std::string Executor::cache_key(const Stage& st, const std::vector<std::string>& parts) const {
  std::string s = st.image ? st.image->str() : "scratch";
  for (auto& p : parts) s += "\n" + std::to_string(p.size()) + ":" + p;
  return image::Digest::of(s).str();
}

Result<> Executor::step(Stage& st, const std::string& key, const std::function<Result<image::ImageRecord>()>& make) {
  if (!opts_.no_cache) {
    auto hit = BERTH_TRY(cache_.lookup(key), "");
    if (hit)
      if (auto d = image::Digest::parse(*hit); d && images_.store().get(*d)) {
        BERTH_CHECK(out(" ---> Using cache\n"), "");
        st.image = *d;
        return out(" ---> " + short_id(*d) + "\n");
      }
  }
  auto rec = BERTH_TRY(make(), "");
  // The parent link makes the step an intermediate image, as dockerd's: hidden from a plain
  // `images`, kept by `image prune` while an image is built on it.
  if (st.image) BERTH_CHECK(images_.set_parent(rec.id, *st.image), "");
  BERTH_CHECK(cache_.put(key, rec.id.str()), "");
  st.image = rec.id;
  return out(" ---> " + short_id(rec.id) + "\n");
}

Result<image::ImageRecord> Executor::run_container(Stage& st, const b::Instruction& ins,
                                                   const std::vector<std::string>& argv,
                                                   const std::vector<std::string>& run_env, const std::string& network,
                                                   const std::string& created_by, RunMounts* mounts) {
  std::string where = "RUN on line " + std::to_string(ins.line);
  if (!st.image) return fail(ErrorKind::Invalid, where + ": nothing can run in an empty (scratch) image");
  json body = {{"Image", st.image->str()},
               {"Cmd", argv},
               {"Entrypoint", json::array({""})},
               {"Env", run_env},
               {"User", json_string(st.cfg.config, "User")},
               {"WorkingDir", json_string(st.cfg.config, "WorkingDir")},
               {"Healthcheck", {{"Test", {"NONE"}}}},
               {"Labels", {{kBuildContainerLabel, "1"}}},  // found and removed after a crash
               {"HostConfig", {{"NetworkMode", network}}}};
  if (mounts) BERTH_CHECK(mounts->prepare(images_, body["HostConfig"]), where);
  auto cr = BERTH_TRY(containers_.create(body, ""), where);
  std::string id = cr.id;
  // The intermediate container goes whatever happens (dockerd's rm and forcerm together).
  struct Remove {
    ContainerService& c;
    std::string id;
    ~Remove() {
      if (auto r = c.remove(id, true); !r) log::warn("build: remove intermediate container: " + r.error().what());
    }
  } remove{containers_, id};
  BERTH_CHECK(out(" ---> Running in " + id.substr(0, 12) + "\n"), "");
  auto rec = BERTH_TRY(containers_.find(id), where);
  auto file = containers_.log_file(rec);
  if (!file) return fail(ErrorKind::Internal, where + ": the container keeps no log");
  BERTH_CHECK(containers_.start(id), where);
  auto reader = BERTH_TRY(LogReader::open(containers_.container_dir(id), *file, true, false), where);
  std::deque<std::string> last;
  std::string partial;
  while (true) {
    bool ended = reader.ended();  // before the read: everything written before the exit is read
    auto more = BERTH_TRY(reader.read_new(), where);
    for (auto& e : more) {
      BERTH_CHECK(out(e.log), "");
      partial += e.log;
      if (partial.ends_with('\n')) {
        partial.pop_back();
        last.push_back(std::move(partial));
        partial.clear();
        if (last.size() > kLastLines) last.pop_front();
      }
    }
    if (ended) break;
    if (!io_.wait(reader.wake_fd(), concurrent_ ? kStopCheckMs : -1)) {
      (void)containers_.kill(id, "KILL");
      return fail(ErrorKind::Unavailable, "build cancelled: the client went away");
    }
    if (stopping_) {
      (void)containers_.kill(id, "KILL");
      return fail(ErrorKind::Unavailable, "build cancelled: another stage failed");
    }
    reader.clear_wake();
  }
  auto w = BERTH_TRY(containers_.wait(id, WaitCondition::NotRunning), where);
  if (w.exit_code != 0) {
    std::string msg = "The command '" + join(argv) + "' returned a non-zero code: " + std::to_string(w.exit_code) +
                      " (" + where + ")";
    if (!partial.empty()) last.push_back(partial);
    if (!last.empty()) msg += "; last output:\n" + join({last.begin(), last.end()}, "\n");
    return fail(ErrorKind::Invalid, msg);
  }
  image::CommitOptions co;
  co.created_by = created_by;
  co.author = st.cfg.author;
  co.config_json = st.cfg.config.dump();
  auto img = BERTH_TRY(images_.commit(id, co), where);
  BERTH_CHECK(out(" ---> Removed intermediate container " + id.substr(0, 12) + "\n"), "");
  return img;
}

Result<std::string> Executor::image_of(const std::string& from) {
  auto ref = BERTH_TRY(b::resolve_from(plan_.stages, from), "");
  if (!ref.stage) return BERTH_TRY(images_.resolve(ref.image), "--from=" + from).str();
  auto* done = done_stage(*ref.stage);
  if (!done) return fail(ErrorKind::Invalid, "stage " + from + " has not been built before it");
  if (!done->image) return fail(ErrorKind::Invalid, "stage " + from + " is empty");
  return done->image->str();
}

const Executor::Stage* Executor::done_stage(int index) {
  std::lock_guard lk(done_mu_);
  auto it = done_.find(index);
  return it == done_.end() ? nullptr : &it->second;  // map nodes stay put while others are added
}

Result<CopyOwnership> Executor::ownership(Stage& st, const b::CopyCmd& cp) {
  CopyOwnership own;
  if (!cp.chmod.empty()) own.mode = BERTH_TRY(parse_chmod(cp.chmod), "");
  if (cp.chown.empty()) return own;
  std::string user = cp.chown, group;
  if (auto c = user.find(':'); c != std::string::npos) {
    group = user.substr(c + 1);
    user.resize(c);
  } else {
    group = user;  // --chown=10 is 10:10, --chown=app app's user and group named alike
  }
  auto numeric = [](const std::string& s) -> std::optional<uint32_t> {
    if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    return uint32_t(std::stoul(s));
  };
  auto u = numeric(user), g = numeric(group);
  if ((!u || !g) && st.image) {
    auto view = BERTH_TRY(RootfsView::open(images_, st.image->str()), "--chown");
    auto passwd = read_in_root(view->path(), "etc/passwd"), groups = read_in_root(view->path(), "etc/group");
    if (!u) u = BERTH_TRY(resolve_user(user, passwd, groups), "--chown").uid;
    if (!g) g = BERTH_TRY(resolve_user("0:" + group, passwd, groups), "--chown").gid;
  }
  if (!u || !g) return fail(ErrorKind::Invalid, "unable to convert uid/gid chown string to host mapping: " + cp.chown);
  own.uid = u;
  own.gid = g;
  return own;
}

Result<> Executor::copy(Stage& st, const b::Instruction& ins, b::CopyCmd cp, const b::Vars& env) {
  std::string name(b::command_name(ins.command));
  std::string where = name + " on line " + std::to_string(ins.line);
  // `COPY <<EOF`: $VAR in the body expands (quotes and escapes stay as written); `<<"EOF"` not.
  b::LexOptions lex;
  lex.escape = df_.escape;
  lex.raw_quotes = lex.raw_escapes = true;
  for (auto& h : cp.inline_files)
    if (h.expand) h.content = BERTH_TRY(b::expand_word(h.content, env, lex), where + ": heredoc " + h.name);
  auto own = BERTH_TRY(ownership(st, cp), where);
  // Where the sources are read: the context, another stage's result or an image.
  std::unique_ptr<RootfsView> view;
  UniqueFd context;
  int src_root = -1;
  if (!cp.from.empty()) {
    std::string img = BERTH_TRY(image_of(cp.from), where);
    view = BERTH_TRY(RootfsView::open(images_, img), where);
    src_root = view->fd();
  } else {
    context.reset(::open(opts_.context_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!context) return fail_sys(where + ": open the context");
    src_root = context.get();
  }
  std::string workdir = json_string(st.cfg.config, "WorkingDir");
  if (workdir.empty()) workdir = "/";
  b::CopySources sources;
  if (!cp.sources.empty())
    sources = BERTH_TRY(b::resolve_copy_sources(src_root, cp.sources, cp.dest, workdir, name, view != nullptr), where);
  // ADD unpacks a local archive named as a source (not one inside a source directory).
  std::vector<std::string> archives;
  if (cp.add) {
    std::set<std::string> dirs;
    for (auto& e : sources.entries)
      if (e.type == b::CopyEntry::Dir) dirs.insert(e.source);
    std::erase_if(sources.entries, [&](const b::CopyEntry& e) {
      bool top = !dirs.contains(image::parent_of(e.source));
      if (e.type != b::CopyEntry::File || !top || !is_archive(src_root, e.source)) return false;
      archives.push_back(e.source);
      return true;
    });
  }
  std::string target_dir = clean_abs_path(cp.dest.starts_with("/") ? cp.dest : workdir + "/" + cp.dest);
  std::vector<std::string> parts = {name, cp.from, cp.chown, cp.chmod, cp.dest, workdir, join(cp.sources, "\n"),
                                    sources.checksum.str()};
  std::string content_id = sources.checksum.hex();
  for (auto& h : cp.inline_files) {
    parts.push_back(h.name + "\n" + h.content);
    content_id = image::Digest::of(content_id + h.name + h.content).hex();
  }
  bool single_file = cp.inline_files.size() + sources.entries.size() + archives.size() == 1 &&
                     (sources.entries.empty() || sources.entries[0].type == b::CopyEntry::File);
  std::string created_by;
  for (auto& s : b::stage_shell(st.cfg.config)) created_by += s + " ";
  // dockerd's line, the --chown glued to the hash as it prints it; its hash of the sources
  // (heredocs, which it does not know, get berth's own).
  std::string hash = cp.inline_files.empty() ? sources.classic_hash : (single_file ? "file:" : "dir:") + content_id;
  created_by += "#(nop) " + name + " " + (cp.chown.empty() ? "" : "--chown=" + cp.chown) + hash + " in " + cp.dest + " ";
  return step(st, cache_key(st, parts), [&]() -> Result<image::ImageRecord> {
    // One file to a dest without a trailing "/" that is a directory in the image lands inside
    // it, as dockerd copies (`COPY a.txt /etc` writes /etc/a.txt). The parent image is part of
    // the cache key, so this is decided on a miss only.
    std::string dest = cp.dest;
    if (single_file && archives.empty() && !dest.ends_with("/") && st.image &&
        BERTH_TRY(is_dir_in_image(*st.image, target_dir), where)) {
      dest += "/";
      if (!sources.entries.empty())
        sources.entries[0].dest = clean_abs_path(target_dir + "/" + image::base_of(sources.entries[0].source));
    }
    std::string tmpl = BERTH_TRY(make_staging(), where);
    struct Cleanup {
      std::string dir;
      ~Cleanup() { (void)remove_all(dir); }
    } cleanup{tmpl};
    BERTH_CHECK(stage_copy(src_root, sources, tmpl, own), where);
    for (auto& a : archives) BERTH_CHECK(stage_archive(src_root, a, target_dir, tmpl), where);
    BERTH_CHECK(stage_heredocs(cp.inline_files, dest, workdir, tmpl, own), where);
    StepImage si{tmpl, st.cfg.config, created_by, st.cfg.author};
    return make_step_image(images_, st.image, si);
  });
}

Result<bool> Executor::is_dir_in_image(const image::Digest& img, const std::string& path) {
  auto view = BERTH_TRY(RootfsView::open(images_, img.str()), "");
  auto fd = image::open_beneath(view->fd(), path.substr(1), O_RDONLY | O_DIRECTORY);
  return fd.has_value();
}

Result<image::ImageRecord> Executor::workdir(Stage& st, const std::string& created_by) {
  // As dockerd: a layer that creates the directory when the image lacks it (empty otherwise).
  std::string rel = json_string(st.cfg.config, "WorkingDir").substr(1);
  std::string staging = BERTH_TRY(make_staging(), "WORKDIR");
  struct Cleanup {
    std::string dir;
    ~Cleanup() { (void)remove_all(dir); }
  } cleanup{staging};
  std::unique_ptr<RootfsView> view;
  if (st.image) view = BERTH_TRY(RootfsView::open(images_, st.image->str()), "WORKDIR");
  bool exists = view && image::open_beneath(view->fd(), rel, O_RDONLY | O_DIRECTORY).has_value();
  if (!exists && !rel.empty()) {
    UniqueFd root(::open(staging.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root) return fail_sys("WORKDIR: open " + staging);
    for (size_t i = 0; i <= rel.size(); ++i) {
      if (i < rel.size() && rel[i] != '/') continue;
      std::string prefix = rel.substr(0, i);
      auto [dir, name] = BERTH_TRY(image::open_parent(root.get(), prefix, true), "WORKDIR");
      if (::mkdirat(dir.get(), name.c_str(), 0755) != 0 && errno != EEXIST) return fail_sys("WORKDIR: mkdir " + prefix);
      // A directory the image has keeps its owner and mode in the layer.
      struct stat in_image;
      if (view)
        if (auto fd = image::open_beneath(view->fd(), prefix, O_PATH); fd && ::fstat(fd->get(), &in_image) == 0 &&
                                                                       S_ISDIR(in_image.st_mode)) {
          if (::fchownat(dir.get(), name.c_str(), in_image.st_uid, in_image.st_gid, AT_SYMLINK_NOFOLLOW) != 0 ||
              ::fchmodat(dir.get(), name.c_str(), in_image.st_mode & 07777, 0) != 0)
            return fail_sys("WORKDIR: " + prefix);
        }
    }
  }
  view.reset();
  return make_step_image(images_, st.image, StepImage{staging, st.cfg.config, created_by, st.cfg.author});
}

Result<std::string> Executor::make_staging() {
  BERTH_CHECK(mkdir_p(path_join(images_.root(), "tmp"), 0700), "");
  std::string tmpl = path_join(images_.root(), "tmp/build-layer-XXXXXX");
  if (!::mkdtemp(tmpl.data())) return fail_sys("staging directory");
  if (::chmod(tmpl.c_str(), 0755) != 0) {
    (void)remove_all(tmpl);
    return fail_sys("staging directory");
  }
  return tmpl;
}

Result<> Executor::run_stage(const b::PlannedStage& ps, bool is_target) {
  const auto& stage = df_.stages.at(size_t(ps.index));
  Stage st;
  int step_no = first_step_.at(ps.index);
  BERTH_CHECK(out("Step " + std::to_string(step_no) + "/" + std::to_string(steps_) + " : " + stage.from.original + "\n"), "");
  std::string from_where = "FROM on line " + std::to_string(stage.from.line);
  if (ps.base_stage) {
    auto* base = done_stage(*ps.base_stage);
    if (!base) return fail(ErrorKind::Invalid, from_where + ": stage " + ps.base + " has not been built before it");
    st = *base;
    st.cfg.cmd_set = false;
  } else if (ps.base != "scratch") {
    auto id = images_.resolve(ps.base);
    if (!id)
      return fail(ErrorKind::NotFound, from_where + ": unable to find image '" + ps.base + "': " + id.error().message);
    st.image = *id;
    auto cfg = BERTH_TRY(image_config_of(images_, st.image), from_where);
    if (cfg.contains("config") && cfg["config"].is_object()) st.cfg.config = cfg["config"];
    if (auto a = json_string(cfg, "author"); !a.empty()) st.cfg.author = a;
  }
  // dockerd's beginStage: a stage whose image sets no PATH gets the default one.
  if (!env_vars(st.cfg.config).contains("PATH")) {
    if (!st.cfg.config.contains("Env") || !st.cfg.config["Env"].is_array()) st.cfg.config["Env"] = json::array();
    st.cfg.config["Env"].push_back(std::string("PATH=") + kDefaultPath);
  }
  BERTH_CHECK(out(" ---> " + (st.image ? short_id(*st.image) : std::string("scratch")) + "\n"), "");
  auto args = args_->stage();
  // The base image's ONBUILD triggers run first, without steps of their own, and are not
  // inherited (dockerd clears them from the new image's config).
  std::vector<b::Instruction> commands;
  if (auto& ob = st.cfg.config["OnBuild"]; ob.is_array() && !ob.empty()) {
    std::vector<std::string> triggers;
    for (auto& t : ob)
      if (t.is_string()) triggers.push_back(t.get<std::string>());
    commands = BERTH_TRY(b::parse_onbuild_triggers(triggers), from_where + ": ONBUILD trigger of the base image");
    BERTH_CHECK(out("# Executing " + std::to_string(commands.size()) + " build trigger" +
                    (commands.size() == 1 ? "" : "s") + "\n"),
                "");
  }
  st.cfg.config["OnBuild"] = nullptr;
  size_t n_triggers = commands.size();
  commands.insert(commands.end(), stage.commands.begin(), stage.commands.end());
  if (is_target && !opts_.labels.empty()) {
    // dockerd adds the build's --label values as a last LABEL instruction.
    b::Instruction ins;
    ins.command = b::Command::Label;
    b::LabelCmd l;
    ins.original = "LABEL";
    for (auto& [k, v] : opts_.labels) {
      l.labels.push_back({k, v});
      ins.original += " '" + k + "'='" + v + "'";
    }
    ins.payload = l;
    commands.push_back(ins);
  }
  for (size_t i = 0; i < commands.size(); ++i) {
    const auto& raw = commands[i];
    bool synthetic = i >= n_triggers + stage.commands.size();
    if (i >= n_triggers)
      BERTH_CHECK(out("Step " + std::to_string(++step_no) + "/" + std::to_string(steps_) + " : " + raw.original + "\n"), "");
    auto stage_env = env_vars(st.cfg.config);
    b::Instruction ins = synthetic ? raw : BERTH_TRY(b::expand_instruction(raw, args.expansion_env(stage_env), df_.escape), "");
    if (auto* a = std::get_if<b::ArgCmd>(&ins.payload))
      for (auto& d : a->args) args.declare(d);
    if (auto* run = std::get_if<b::RunCmd>(&ins.payload)) {
      auto argv = run_argv(run->cmdline, st.cfg.config);
      auto hist_args = args.history_args(stage_env);
      std::string created_by = join(b::with_history_args(hist_args, argv));
      std::vector<std::string> run_env;
      for (auto& [k, v] : args.run_args(stage_env)) run_env.push_back(k + "=" + v);
      std::string net = !run->network.empty() ? run->network : opts_.network_mode;
      if (net.empty() || net == "default") net = "none";
      std::vector<std::string> parts = {"RUN", json(argv).dump(), json(run_env).dump(), net,
                                        json(st.cfg.config).dump()};
      std::unique_ptr<RunMounts> mounts;
      if (!run->mounts.empty()) {
        std::string wd = json_string(st.cfg.config, "WorkingDir");
        RunMountContext mc{opts_.context_dir, build_cache_mounts_dir(images_.root()), wd.empty() ? "/" : wd,
                           [&](const std::string& from) { return image_of(from); }};
        mounts = BERTH_TRY(RunMounts::resolve(run->mounts, mc), "RUN on line " + std::to_string(ins.line));
        parts.insert(parts.end(), mounts->key_parts().begin(), mounts->key_parts().end());
      }
      BERTH_CHECK(step(st, cache_key(st, parts),
                       [&] { return run_container(st, ins, argv, run_env, net, created_by, mounts.get()); }),
                  "");
    } else if (auto* cp = std::get_if<b::CopyCmd>(&ins.payload)) {
      BERTH_CHECK(copy(st, ins, *cp, args.expansion_env(stage_env)), "");
    } else if (ins.command == b::Command::Workdir) {
      auto created_by = BERTH_TRY(b::apply_to_config(st.cfg, ins), "");
      std::vector<std::string> parts = {"WORKDIR", created_by, json(st.cfg.config).dump(), st.cfg.author};
      BERTH_CHECK(step(st, cache_key(st, parts), [&] { return workdir(st, created_by); }), "");
    } else {
      if (auto* sig = std::get_if<b::StopSignalCmd>(&ins.payload))
        if (auto n = parse_api_signal(sig->signal); !n)
          return fail(ErrorKind::Invalid, "Dockerfile parse error on line " + std::to_string(ins.line) + ": " + n.error().message);
      auto created_by = BERTH_TRY(b::apply_to_config(st.cfg, ins), "");
      std::vector<std::string> parts = {"META", created_by, json(st.cfg.config).dump(), st.cfg.author};
      BERTH_CHECK(step(st, cache_key(st, parts),
                       [&] {
                         return make_step_image(images_, st.image,
                                                StepImage{std::nullopt, st.cfg.config, created_by, st.cfg.author});
                       }),
                  "");
    }
  }
  std::lock_guard lk(done_mu_);
  done_[ps.index] = std::move(st);
  return {};
}

Result<> Executor::run_wave(const std::vector<int>& wave) {
  if (wave.size() == 1) return run_stage(plan_.stages.at(size_t(wave[0])), wave[0] == plan_.target);
  concurrent_ = true;
  std::mutex mu;
  std::optional<Error> first;
  std::vector<std::thread> threads;
  for (int i : wave)
    threads.emplace_back([&, i] {
      auto r = run_stage(plan_.stages.at(size_t(i)), i == plan_.target);
      if (r) return;
      std::lock_guard lk(mu);
      if (!first) first = r.error();  // the cause; the others fail as "cancelled" after it
      stopping_ = true;
    });
  for (auto& t : threads) t.join();
  if (first) return fail(*first);
  return {};
}

Result<BuildResult> Executor::run() {
  // Tags are checked before anything runs: a bad one changes nothing.
  std::vector<std::string> tags;
  for (auto& t : opts_.tags) {
    auto r = image::Reference::parse(t);
    if (!r) return fail(ErrorKind::Invalid, "invalid tag \"" + t + "\": " + r.error().message);
    tags.push_back(r->familiar_tagged());
  }
  df_ = BERTH_TRY(b::parse_dockerfile(opts_.dockerfile), "");
  if (df_.stages.empty()) return fail(ErrorKind::Invalid, "the Dockerfile has no FROM instruction");
  args_ = std::make_unique<b::BuildArgs>(opts_.build_args);
  BERTH_CHECK(args_->add_meta_args(df_.meta_args, df_.escape), "");
  plan_ = BERTH_TRY(b::plan_build(df_, *args_, opts_.target), "");
  for (int i : plan_.needed) {
    first_step_[i] = steps_ + 1;
    steps_ += 1 + int(df_.stages.at(size_t(i)).commands.size());
  }
  if (!opts_.labels.empty()) ++steps_;
  for (auto& wave : plan_.waves) BERTH_CHECK(run_wave(wave), "");
  auto& final = done_.at(plan_.target);
  if (!final.image) {
    // FROM scratch and nothing else: dockerd refuses to make an image of nothing.
    return fail(ErrorKind::Invalid, "No image was generated. Is your Dockerfile empty?");
  }
  auto declared = b::declared_arg_names(df_, plan_.needed);
  for (auto& n : args_->meta_names()) declared.insert(n);
  if (auto w = args_->unconsumed_warning(declared)) BERTH_CHECK(out(*w + "\n"), "");
  BuildResult res;
  res.image_id = final.image->str();
  for (auto& t : tags) {
    BERTH_CHECK(images_.tag(res.image_id, t), "tag " + t);
    res.tagged.push_back(t);
  }
  return res;
}

}  // namespace

Result<BuildResult> run_build(ContainerService& containers, image::ImageService& images, BuildCache& cache,
                              const BuildOptions& opts, const BuildIo& io) {
  return Executor(containers, images, cache, opts, io).run();
}

}  // namespace berth::engine
