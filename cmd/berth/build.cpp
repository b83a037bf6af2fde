// berth build: the context directory's files that .dockerignore keeps, sent as a tar with
// the flags as POST /build's query, the daemon's stream printed as docker prints it.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "body_file.hpp"
#include "cli.hpp"
#include "common/fs.hpp"
#include "engine/build/context_files.hpp"
#include "engine/build/dockerignore.hpp"
#include "image/layer_diff.hpp"
#include "image/safe_path.hpp"

namespace berth::cli {

namespace {

struct BuildOptions {
  std::vector<std::string> tags, build_args, labels;
  std::string file, target, iidfile, network, context;
  bool no_cache = false, quiet = false;
};

Result<std::string> read_all(int fd, const std::string& what) {
  std::string s;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) s.append(buf, size_t(n));
  if (n < 0) return fail_sys("read " + what);
  return s;
}

// The context as a tar in an unlinked temporary file; dockerfile_name is set to the name the
// Dockerfile has in it when it comes from elsewhere (-f outside the context, or -f -).
Result<UniqueFd> context_tar(const BuildOptions& o, std::string& dockerfile_name) {
  namespace fs = std::filesystem;
  std::string dir = o.context;
  UniqueFd root(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail_sys("unable to prepare context: path \"" + dir + "\" not found");
  std::string ignore_text;
  if (UniqueFd f(::openat(root.get(), ".dockerignore", O_RDONLY | O_CLOEXEC)); f)
    ignore_text = BERTH_TRY(read_all(f.get(), ".dockerignore"), "");
  auto ignore = BERTH_TRY(engine::build::Dockerignore::parse(ignore_text), ".dockerignore");
  // The Dockerfile: inside the context by its relative path, else added under a private name.
  std::string outside;  // its text when it is not in the context
  if (o.file == "-") {
    outside = BERTH_TRY(read_all(0, "the Dockerfile from stdin"), "");
  } else if (!o.file.empty()) {
    auto rel = fs::weakly_canonical(fs::absolute(o.file)).lexically_relative(fs::weakly_canonical(fs::absolute(dir)));
    if (rel.empty() || rel.string().starts_with("..")) {
      UniqueFd f(::open(o.file.c_str(), O_RDONLY | O_CLOEXEC));
      if (!f) return fail_sys("unable to prepare context: open " + o.file);
      outside = BERTH_TRY(read_all(f.get(), o.file), "");
    } else {
      dockerfile_name = rel.string();
    }
  }
  auto files = BERTH_TRY(engine::build::context_files(dir, ignore), "unable to prepare context");
  std::vector<UniqueFd> dirs;  // keeps the parent directories open while the tar is written
  std::vector<image::TarEntry> entries;
  for (auto& p : files) {
    auto parent = image::parent_of(p);
    auto pfd = BERTH_TRY(image::open_beneath(root.get(), parent, O_RDONLY | O_DIRECTORY), "context " + p);
    entries.push_back({pfd.get(), image::base_of(p), p});
    dirs.push_back(std::move(pfd));
  }
  berth::UniqueFd side;
  std::string side_dir;
  if (o.file == "-" || !outside.empty()) {
    side_dir = "/tmp/berth-build-XXXXXX";
    if (!::mkdtemp(side_dir.data())) return fail_sys("temporary directory");
    dockerfile_name = ".dockerfile." + std::to_string(getpid());
    // As docker does: the .dockerignore sent names it, so the daemon drops it from the context.
    std::string ignore_sent = ignore_text + "\n" + dockerfile_name + "\n";
    auto put = [&](const std::string& name, const std::string& text) {
      UniqueFd f(::open((side_dir + "/" + name).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
      return f && ::write(f.get(), text.data(), text.size()) == ssize_t(text.size());
    };
    bool ok = put(dockerfile_name, outside) && put(".dockerignore", ignore_sent);
    side.reset(::open(side_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!ok || !side) {
      (void)remove_all(side_dir);
      return fail_sys("write the Dockerfile into the context");
    }
    std::erase_if(entries, [](const image::TarEntry& e) { return e.as == ".dockerignore"; });
    entries.push_back({side.get(), ".dockerignore", ".dockerignore"});
    entries.push_back({side.get(), dockerfile_name, dockerfile_name});
  }
  char tmpl[] = "/tmp/berth-build-context-XXXXXX";
  UniqueFd out(::mkstemp(tmpl));
  if (!out) return fail_sys("temporary file");
  ::unlink(tmpl);
  image::DiffOptions d;
  d.overlay_whiteouts = false;
  d.recursive = false;
  auto r = image::write_entries_tar(entries, [&](std::string_view b) -> Result<> {
    if (::write(out.get(), b.data(), b.size()) != ssize_t(b.size())) return fail_sys("write the context");
    return {};
  }, d);
  if (!side_dir.empty()) (void)remove_all(side_dir);
  if (!r) return fail(r.error().wrap("unable to prepare context"));
  if (::lseek(out.get(), 0, SEEK_SET) != 0) return fail_sys("rewind the context");
  return out;
}

int run_build(Cli& cli, const BuildOptions& o) {
  std::string path = "/build?rm=1&forcerm=1";
  for (auto& t : o.tags) path += "&t=" + q(t);
  nlohmann::json args = nlohmann::json::object(), labels = nlohmann::json::object();
  for (auto& a : o.build_args) {
    auto eq = a.find('=');
    if (eq != std::string::npos) args[a.substr(0, eq)] = a.substr(eq + 1);
    else if (auto* v = std::getenv(a.c_str())) args[a] = v;  // `--build-arg K` takes K from the environment
    else args[a] = nullptr;
  }
  for (auto& l : o.labels) {
    auto eq = l.find('=');
    labels[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
  }
  path += "&buildargs=" + q(args.dump()) + "&labels=" + q(labels.dump());
  if (!o.target.empty()) path += "&target=" + q(o.target);
  if (o.no_cache) path += "&nocache=1";
  if (o.quiet) path += "&q=1";
  if (!o.network.empty()) path += "&networkmode=" + q(o.network);
  api::BodySource body;
  std::string dockerfile = o.file;
  if (o.context == "-") {
    if (o.file == "-") return cli.error("invalid argument: can't use stdin for both build context and dockerfile");
    body = file_body("-");  // a context tar on stdin
  } else {
    auto tar = context_tar(o, dockerfile);
    if (!tar) return cli.error(tar.error().what());
    body = file_body("/proc/self/fd/" + std::to_string(tar->get()));
  }
  if (!dockerfile.empty()) path += "&dockerfile=" + q(dockerfile);
  auto* c = cli.api();
  if (!c) return cli.exit_code;
  std::string pending, error, id;
  auto r = c->stream("POST", path, body,
                     [&](std::string_view chunk) {
                       pending.append(chunk);
                       size_t nl;
                       while ((nl = pending.find('\n')) != std::string::npos) {
                         auto m = nlohmann::json::parse(pending.substr(0, nl), nullptr, false);
                         pending.erase(0, nl + 1);
                         if (!m.is_object()) continue;
                         if (m.contains("error")) error = m["error"].is_string() ? m["error"].get<std::string>() : m["error"].dump();
                         if (m.contains("aux") && m["aux"].is_object() && m["aux"].contains("ID")) id = m["aux"]["ID"].get<std::string>();
                         if (m.contains("stream") && m["stream"].is_string()) std::fputs(m["stream"].get<std::string>().c_str(), stdout);
                       }
                       std::fflush(stdout);
                       return true;
                     },
                     {{"Content-Type", "application/x-tar"}});
  if (!r) return cli.error(r.error().what());
  if (r->status < 200 || r->status >= 300) return cli.daemon_error(*r);
  if (!error.empty()) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  if (!o.iidfile.empty()) {
    int fd = ::open(o.iidfile.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || ::write(fd, id.data(), id.size()) != ssize_t(id.size())) {
      if (fd >= 0) ::close(fd);
      return cli.error("write image ID to " + o.iidfile + ": " + std::strerror(errno));
    }
    ::close(fd);
  }
  return 0;
}

}  // namespace

void add_build(CLI::App& app, Cli& cli) {
  auto* sub = app.add_subcommand("build", "Build an image from a Dockerfile");
  auto o = std::make_shared<BuildOptions>();
  sub->add_option("-t,--tag", o->tags, "Name and optionally a tag in the \"name:tag\" format");
  sub->add_option("-f,--file", o->file, "Name of the Dockerfile (default: \"PATH/Dockerfile\")");
  sub->add_option("--build-arg", o->build_args, "Set build-time variables");
  sub->add_option("--label", o->labels, "Set metadata for an image");
  sub->add_option("--target", o->target, "Set the target build stage to build");
  sub->add_option("--iidfile", o->iidfile, "Write the image ID to the file");
  sub->add_option("--network", o->network, "Set the networking mode for the RUN instructions during build");
  sub->add_flag("--no-cache", o->no_cache, "Do not use cache when building the image");
  sub->add_flag("-q,--quiet", o->quiet, "Suppress the build output and print image ID on success");
  sub->add_option("context", o->context, "PATH | -")->required();
  sub->callback([&cli, o] { cli.exit_code = run_build(cli, *o); });
}

}  // namespace berth::cli
