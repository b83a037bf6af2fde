// Routes that move a container's files: the archive endpoints of docker cp (HEAD stat, GET
// a tar, PUT a tar), export, changes (docker diff) and commit.
#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "api/response.hpp"
#include "api/routes.hpp"
#include "common/fs.hpp"
#include "engine/container_archive.hpp"
#include "engine/container_changes.hpp"
#include "engine/container_commit.hpp"

namespace berth::api {

using nlohmann::json;

namespace {

constexpr const char* kStatHeader = "X-Docker-Container-Path-Stat";

Result<std::string> path_query(const Request& req) {
  auto p = req.query_value("path").value_or("");
  if (p.empty()) return fail(ErrorKind::Invalid, "path cannot be empty");
  return p;
}

Result<> stat_path(Exchange& ex, engine::Daemon& d) {
  auto& req = ex.request();
  auto s = [&]() -> Result<engine::PathStat> {
    auto p = BERTH_TRY(path_query(req), "");
    return engine::ContainerArchive(d.container_service(), d.images()).stat(req.param("name"), p);
  }();
  // A HEAD answer has no body: the status alone tells the client.
  if (!s) return ex.reply(s.error().http_status(), "application/json", "");
  return ex.reply(200, "", "", {{kStatHeader, engine::encode_path_stat(*s)}});
}

Result<> get_archive(Exchange& ex, engine::Daemon& d) {
  auto& req = ex.request();
  auto p = BERTH_TRY(path_query(req), "");
  BERTH_CHECK(engine::ContainerArchive(d.container_service(), d.images())
                  .archive(
                      req.param("name"), p,
                      [&](const engine::PathStat& s) {
                        return ex.start_stream_with_headers(200, "application/x-tar",
                                                            {{kStatHeader, engine::encode_path_stat(s)}});
                      },
                      [&](std::string_view b) { return ex.write(b); }),
              "");
  return ex.finish_stream();
}

Result<> put_archive(Exchange& ex, engine::Daemon& d) {
  auto& req = ex.request();
  auto p = BERTH_TRY(path_query(req), "");
  // The archive is spooled (an unnamed file) so it can be checked whole before anything is written.
  std::string tmp = path_join(d.images().root(), "tmp");
  UniqueFd fd(::open(tmp.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (!fd) return fail_sys("copy to container: temporary file");
  char buf[65536];
  while (true) {
    size_t n = BERTH_TRY(ex.read_body_some(buf, sizeof buf), "copy to container");
    if (n == 0) break;
    for (size_t off = 0; off < n;) {
      ssize_t w = ::write(fd.get(), buf + off, n - off);
      if (w < 0) return fail_sys("copy to container: write temporary file");
      off += static_cast<size_t>(w);
    }
  }
  if (lseek(fd.get(), 0, SEEK_SET) != 0) return fail_sys("copy to container: rewind");
  engine::ExtractOptions o;
  o.no_overwrite_dir_non_dir = req.query_bool("noOverwriteDirNonDir");
  o.copy_uid_gid = req.query_bool("copyUIDGID");
  BERTH_CHECK(engine::ContainerArchive(d.container_service(), d.images()).extract(req.param("name"), p, fd.get(), o), "");
  return ex.reply(200, "text/plain", "");
}

Result<> export_container(Exchange& ex, engine::Daemon& d) {
  auto name = ex.request().param("name");
  BERTH_CHECK(d.container_service().find(name), "");
  bool started = false;
  auto r = engine::ContainerArchive(d.container_service(), d.images()).export_rootfs(name, [&](std::string_view b) -> Result<> {
    if (!started) {
      BERTH_CHECK(ex.start_stream(200, "application/x-tar"), "");
      started = true;
    }
    return ex.write(b);
  });
  if (!r) return r;
  if (!started) BERTH_CHECK(ex.start_stream(200, "application/x-tar"), "");
  return ex.finish_stream();
}

Result<> changes(Exchange& ex, engine::Daemon& d) {
  auto c = BERTH_TRY(d.container_service().find(ex.request().param("name")), "");
  auto upper = BERTH_TRY(d.images().rootfs_upper_dir(c.id), "changes");
  auto lowers = BERTH_TRY(d.images().rootfs_lower_dirs(c.id), "changes");
  auto list = BERTH_TRY(engine::layer_changes(upper, lowers), "");
  json out = json::array();
  for (auto& ch : list) out.push_back({{"Path", ch.path}, {"Kind", static_cast<int>(ch.kind)}});
  return reply_json(ex, 200, out);
}

Result<> commit(Exchange& ex, engine::Daemon& d) {
  auto& req = ex.request();
  engine::CommitRequest cr;
  cr.repo = req.query_value("repo").value_or("");
  cr.tag = req.query_value("tag").value_or("");
  cr.comment = req.query_value("comment").value_or("");
  cr.author = req.query_value("author").value_or("");
  cr.pause = req.query_bool("pause", true);
  cr.changes = req.query_values("changes");
  cr.config = BERTH_TRY(read_json_body(ex, kJsonBodyLimit), "");
  auto ref = req.query_value("container").value_or("");
  auto c = BERTH_TRY(d.container_service().find(ref), "");
  auto id = BERTH_TRY(engine::commit_container(d.container_service(), d.images(), ref, cr), "");
  d.events().publish({"container", "commit", c.id, {{"name", c.name.substr(1)}, {"image", c.image}, {"comment", cr.comment}}});
  return reply_json(ex, 201, {{"Id", id}});
}

}  // namespace

void add_container_archive_routes(Router& r, engine::Daemon& d) {
  r.add("HEAD", "/containers/{name}/archive", [&d](Exchange& ex) { return stat_path(ex, d); });
  r.add("GET", "/containers/{name}/archive", [&d](Exchange& ex) { return get_archive(ex, d); });
  r.add("PUT", "/containers/{name}/archive", [&d](Exchange& ex) { return put_archive(ex, d); });
  r.add("GET", "/containers/{name}/export", [&d](Exchange& ex) { return export_container(ex, d); });
  r.add("GET", "/containers/{name}/changes", [&d](Exchange& ex) { return changes(ex, d); });
  r.add("POST", "/commit", [&d](Exchange& ex) { return commit(ex, d); });
}

}  // namespace berth::api
