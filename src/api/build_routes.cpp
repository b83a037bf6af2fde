// POST /build (dockerd's classic builder: the context as a tar body, progress as JSON stream
// lines) and POST /build/prune. The context is spooled to a file, extracted into a private
// directory under the image root and removed when the build ends; a client that hangs up
// mid-build cancels it (the RUN's container is killed and removed).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "api/json_stream.hpp"
#include "api/response.hpp"
#include "api/routes.hpp"
#include "common/fs.hpp"
#include "engine/build/build_context.hpp"
#include "engine/build_executor.hpp"
#include "engine/build_run_mounts.hpp"

namespace berth::api {

using nlohmann::json;

namespace {

struct TempPath {
  std::string path;
  bool dir = false;
  ~TempPath() {
    if (path.empty()) return;
    if (dir) (void)remove_all(path);
    else ::unlink(path.c_str());
  }
};

// A JSON object of strings from a query value ("buildargs", "labels"); values may be null.
Result<std::map<std::string, std::optional<std::string>>> string_map(const Request& req, const std::string& key) {
  std::map<std::string, std::optional<std::string>> out;
  auto v = req.query_value(key);
  if (!v || v->empty()) return out;
  auto j = json::parse(*v, nullptr, false);
  if (!j.is_object()) return fail(ErrorKind::Invalid, key + ": not a JSON object: " + *v);
  for (auto& [k, val] : j.items()) {
    if (val.is_null()) out[k] = std::nullopt;
    else if (val.is_string()) out[k] = val.get<std::string>();
    else return fail(ErrorKind::Invalid, key + ": the value of " + k + " is not a string");
  }
  return out;
}

Result<> spool_body(Exchange& ex, int fd) {
  char buf[65536];
  while (true) {
    size_t n = BERTH_TRY(ex.read_body_some(buf, sizeof buf), "build context");
    if (n == 0) return {};
    for (size_t off = 0; off < n;) {
      ssize_t w = ::write(fd, buf + off, n - off);
      if (w < 0) return fail_sys("build context: write temporary file");
      off += size_t(w);
    }
  }
}

// A tar (ustar magic at 257) or a compressed stream (gzip, bzip2, xz, zstd), as dockerd tells
// a context from a bare Dockerfile. Leaves the file rewound.
bool looks_like_archive(int fd) {
  unsigned char h[262] = {};
  ssize_t n = ::pread(fd, h, sizeof h, 0);
  ::lseek(fd, 0, SEEK_SET);
  if (n <= 0) return true;  // an empty body: extraction reports it
  auto starts = [&](std::initializer_list<unsigned char> m) {
    return size_t(n) >= m.size() && std::equal(m.begin(), m.end(), h);
  };
  if (starts({0x1f, 0x8b}) || starts({'B', 'Z', 'h'}) || starts({0xfd, '7', 'z', 'X', 'Z', 0}) ||
      starts({0x28, 0xb5, 0x2f, 0xfd}))
    return true;
  return n >= 262 && std::memcmp(h + 257, "ustar", 5) == 0;
}

Result<> build(Exchange& ex, engine::Daemon& d) {
  auto& req = ex.request();
  if (auto r = req.query_value("remote"); r && !r->empty())
    return fail(ErrorKind::Invalid, "remote build contexts (" + *r + ") are not supported: send the context as the request body");
  if (req.query_value("version").value_or("1") == "2")
    return fail(ErrorKind::Invalid, "BuildKit is not supported by berthd: build with DOCKER_BUILDKIT=0");
  engine::BuildOptions o;
  o.tags = req.query_values("t");
  o.target = req.query_value("target").value_or("");
  o.no_cache = req.query_bool("nocache");
  o.network_mode = req.query_value("networkmode").value_or("");
  bool quiet = req.query_bool("q");
  for (auto& [k, v] : BERTH_TRY(string_map(req, "buildargs"), "")) o.build_args[k] = v;
  for (auto& [k, v] : BERTH_TRY(string_map(req, "labels"), "")) o.labels[k] = v.value_or("");

  auto& images = d.images();
  BERTH_CHECK(mkdir_p(path_join(images.root(), "tmp"), 0700), "build");
  TempPath spool{path_join(images.root(), "tmp/build-context-XXXXXX")};
  int raw = ::mkstemp(spool.path.data());
  if (raw < 0) return fail_sys("build: temporary file");
  UniqueFd fd(raw);
  BERTH_CHECK(spool_body(ex, fd.get()), "");
  TempPath dir{path_join(images.root(), "tmp/build-dir-XXXXXX"), true};
  if (!::mkdtemp(dir.path.data())) return fail_sys("build: context directory");
  if (looks_like_archive(fd.get())) {
    auto extracted = engine::build::extract_context(fd.get(), dir.path);
    if (!extracted) return fail(ErrorKind::Invalid, "the build context is not a valid tar archive: " + extracted.error().what());
    std::string dockerfile = req.query_value("dockerfile").value_or("");
    o.dockerfile = BERTH_TRY(engine::build::take_dockerfile(dir.path, dockerfile), "");
  } else {
    // `docker build - < Dockerfile`: the body is the Dockerfile and the context is empty.
    char buf[65536];
    ssize_t n;
    while ((n = ::read(fd.get(), buf, sizeof buf)) > 0) o.dockerfile.append(buf, size_t(n));
    if (n < 0) return fail_sys("build: read the Dockerfile");
  }
  fd.reset();
  o.context_dir = dir.path;

  JsonStream out(ex);
  engine::BuildIo io;
  io.out = [&](const std::string& text) { return quiet || text.empty() || out.send({{"stream", text}}); };
  io.wait = [&](int wfd, int timeout_ms) { return ex.wait(wfd, timeout_ms) != WaitResult::ClientGone; };
  auto res = engine::run_build(d.container_service(), images, d.build_cache(), o, io);
  if (!res) return out.finish(fail(res.error()));
  out.send({{"aux", {{"ID", res->image_id}}}});
  if (quiet) {
    out.send({{"stream", res->image_id + "\n"}});
  } else {
    out.send({{"stream", "Successfully built " + res->image_id.substr(7, 12) + "\n"}});
    for (auto& t : res->tagged) out.send({{"stream", "Successfully tagged " + t + "\n"}});
  }
  for (auto& t : res->tagged) d.image_event("tag", res->image_id, t);
  return out.finish({});
}

// Forgets the cache, empties the cache mounts and deletes the untagged step images it kept, children before parents (an
// image a container uses, or one a kept image is built on, stays).
Result<> prune_build_cache(Exchange& ex, engine::Daemon& d) {
  auto ids = BERTH_TRY(d.build_cache().clear(), "build prune");
  json deleted = json::array();
  int64_t reclaimed = 0;
  for (bool progress = true; progress;) {
    progress = false;
    for (auto& id : ids) {
      auto rec = d.images().inspect(id);
      if (!rec || !rec->repo_tags.empty()) continue;
      if (auto r = d.images().remove(id, false, false); r) {
        deleted.push_back(id);
        reclaimed += rec->size;
        progress = true;
      }
    }
  }
  // RUN --mount=type=cache directories go too.
  std::string mounts = engine::build_cache_mounts_dir(d.images().root());
  if (auto r = remove_all(mounts); !r) return fail(r.error().wrap("build prune"));
  return reply_json(ex, 200, {{"CachesDeleted", deleted}, {"SpaceReclaimed", reclaimed}});
}

}  // namespace

void add_build_routes(Router& r, engine::Daemon& d) {
  r.add("POST", "/build", [&d](Exchange& ex) { return build(ex, d); });
  r.add("POST", "/build/prune", [&d](Exchange& ex) { return prune_build_cache(ex, d); });
}

}  // namespace berth::api
