// berth cp: files between a container and the host, with docker cp's destination rules. The
// daemon's archive endpoints do the container side; here the host side is tarred and
// untarred with the image library (which refuses entries that would leave the destination).
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli.hpp"
#include "common/fd.hpp"
#include "image/http.hpp"
#include "image/layer_apply.hpp"
#include "image/layer_diff.hpp"

namespace berth::cli {

namespace {

struct CpOptions {
  std::string src, dst;
  bool archive = false, follow = false;
};

// "name:path" -> {name, path}; a path without a colon (or starting with / or .) is local.
std::pair<std::string, std::string> split_spec(const std::string& s) {
  if (s.starts_with("/") || s.starts_with(".")) return {"", s};
  auto c = s.find(':');
  if (c == std::string::npos) return {"", s};
  return {s.substr(0, c), s.substr(c + 1)};
}

std::string base_name(std::string p) {
  while (p.size() > 1 && p.ends_with("/")) p.pop_back();
  auto s = p.rfind('/');
  return s == std::string::npos ? p : p.substr(s + 1);
}

std::string dir_name(std::string p) {
  while (p.size() > 1 && p.ends_with("/")) p.pop_back();
  auto s = p.rfind('/');
  if (s == std::string::npos) return ".";
  return s == 0 ? "/" : p.substr(0, s);
}

// The container path's stat (HEAD), nullopt with status when it failed.
std::optional<nlohmann::json> stat_path(api::ApiClient& c, const std::string& ctr, const std::string& path, int& status) {
  auto r = c.call("HEAD", "/containers/" + q(ctr) + "/archive?path=" + q(path));
  if (!r) {
    status = -1;
    return std::nullopt;
  }
  status = r->status;
  if (r->status != 200) return std::nullopt;
  auto raw = image::http::base64_decode(r->headers["x-docker-container-path-stat"]);
  if (!raw) return std::nullopt;
  auto j = nlohmann::json::parse(*raw, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  return j;
}

bool is_dir_mode(const nlohmann::json& st) { return (st.value("mode", 0u) & (1u << 31)) != 0; }

int from_container(Cli& cli, api::ApiClient& c, const std::string& ctr, std::string src, const CpOptions& o) {
  if (o.follow) {
    int status = 0;
    auto st = stat_path(c, ctr, src, status);
    if (st && !st->value("linkTarget", "").empty()) src = (*st)["linkTarget"];
  }
  // Where the tar goes: stdout, into an existing directory, or renamed to a new name.
  bool to_stdout = o.dst == "-";
  struct stat dst{};
  bool dst_exists = !to_stdout && stat(o.dst.c_str(), &dst) == 0;
  bool into_dir = dst_exists && S_ISDIR(dst.st_mode);
  std::string parent = dir_name(o.dst);
  if (!to_stdout && !dst_exists) {
    struct stat ps;
    if (stat(parent.c_str(), &ps) != 0 || !S_ISDIR(ps.st_mode))
      return cli.error("invalid output path: directory \"" + parent + "\" does not exist");
  }
  std::string stage;
  if (!to_stdout && !into_dir) {
    stage = parent + "/.berth-cp-XXXXXX";
    if (!mkdtemp(stage.data())) return cli.error("create " + stage + ": " + std::strerror(errno));
  }
  UniqueFd target(to_stdout ? dup(1) : open((into_dir ? o.dst : stage).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
  UniqueFd reader(sv[0]), writer(sv[1]);
  Result<image::ApplyResult> applied = image::ApplyResult{};
  std::thread extractor;
  if (!to_stdout) {
    extractor = std::thread([&] {
      image::ApplyOptions ao;
      ao.overlay_whiteouts = false;
      if (!o.archive) ao.chown = std::make_pair(getuid(), getgid());
      applied = image::apply_layer_at(reader.get(), target.get(), ao);
      shutdown(reader.get(), SHUT_RDWR);
    });
  }
  std::string name;
  auto r = c.stream("GET", "/containers/" + q(ctr) + "/archive?path=" + q(src), {}, [&](std::string_view b) {
    int fd = to_stdout ? target.get() : writer.get();
    while (!b.empty()) {
      ssize_t n = to_stdout ? write(fd, b.data(), b.size()) : send(fd, b.data(), b.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      b.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  });
  writer.reset();
  if (extractor.joinable()) extractor.join();
  auto cleanup = [&] {
    if (!stage.empty()) std::filesystem::remove_all(stage);
  };
  if (!r) {
    cleanup();
    return cli.error(r.error().what());
  }
  if (r->status != 200) {
    cleanup();
    return cli.daemon_error(*r);
  }
  if (!applied) {
    cleanup();
    return cli.error(applied.error().what());
  }
  if (!stage.empty()) {
    auto raw = image::http::base64_decode(r->headers["x-docker-container-path-stat"]);
    auto st = nlohmann::json::parse(raw ? *raw : "", nullptr, false);
    std::string got = stage + "/" + (st.is_object() ? st.value("name", "") : base_name(src));
    if (dst_exists && !S_ISDIR(dst.st_mode) && st.is_object() && is_dir_mode(st)) {
      cleanup();
      return cli.error("cannot copy a directory to a file");
    }
    if (rename(got.c_str(), o.dst.c_str()) != 0) {
      int e = errno;
      cleanup();
      return cli.error("rename to " + o.dst + ": " + std::strerror(e));
    }
    cleanup();
  }
  return 0;
}

int to_container(Cli& cli, api::ApiClient& c, const std::string& ctr, const std::string& dst, const CpOptions& o) {
  std::string query = o.archive ? "&copyUIDGID=true" : "";
  std::string put_path = dst, as;
  UniqueFd srcdir;
  std::string srcname;
  if (o.src != "-") {
    struct stat st;
    if ((o.follow ? stat(o.src.c_str(), &st) : lstat(o.src.c_str(), &st)) != 0)
      return cli.error("lstat " + o.src + ": " + std::strerror(errno));
    int status = 0;
    auto dst_stat = stat_path(c, ctr, dst, status);
    if (dst_stat && !dst_stat->value("linkTarget", "").empty()) {
      std::string t = (*dst_stat)["linkTarget"];
      dst_stat = stat_path(c, ctr, t, status);
    }
    srcname = base_name(o.src);
    if (dst_stat && is_dir_mode(*dst_stat)) {
      as = srcname;
    } else if (dst_stat) {
      if (S_ISDIR(st.st_mode)) return cli.error("cannot copy a directory to a file");  // docker's wording
      put_path = dir_name(dst);
      as = base_name(dst);
    } else {
      if (dst.ends_with("/")) return cli.error("no such directory");
      put_path = dir_name(dst);
      as = base_name(dst);
    }
    srcdir = UniqueFd(open(dir_name(o.src).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!srcdir) return cli.error("open " + dir_name(o.src) + ": " + std::strerror(errno));
  }
  // The tar is made on a thread into a socket pair that the request body reads.
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
  UniqueFd reader(sv[0]), writer(sv[1]);
  Result<image::DiffResult> made = image::DiffResult{};
  std::thread maker;
  int body_fd = reader.get();
  if (o.src == "-") {
    body_fd = 0;
  } else {
    maker = std::thread([&] {
      image::DiffOptions d;
      d.overlay_whiteouts = false;
      std::string name = base_name(o.src);
      made = image::write_entry_tar(srcdir.get(), name, as, [&](std::string_view b) -> Result<> {
        while (!b.empty()) {
          ssize_t n = send(writer.get(), b.data(), b.size(), MSG_NOSIGNAL);
          if (n <= 0) return fail_sys("send archive");
          b.remove_prefix(static_cast<size_t>(n));
        }
        return {};
      }, d);
      shutdown(writer.get(), SHUT_WR);
    });
  }
  auto r = c.stream("PUT", "/containers/" + q(ctr) + "/archive?path=" + q(put_path) + "&noOverwriteDirNonDir=true" + query,
                    [&](char* buf, size_t n) -> Result<size_t> {
                      ssize_t got = read(body_fd, buf, n);
                      if (got < 0) return fail_sys("read archive");
                      return static_cast<size_t>(got);
                    },
                    {});
  shutdown(reader.get(), SHUT_RDWR);
  if (maker.joinable()) maker.join();
  if (!r) return cli.error(r.error().what());
  if (r->status != 200) return cli.daemon_error(*r);
  if (!made) return cli.error(made.error().what());
  return 0;
}

}  // namespace

void add_cp(CLI::App& app, Cli& cli) {
  auto* sub = app.add_subcommand("cp", "Copy files/folders between a container and the local filesystem");
  auto o = std::make_shared<CpOptions>();
  sub->add_option("src", o->src, "SRC_PATH or CONTAINER:SRC_PATH")->required();
  sub->add_option("dst", o->dst, "DEST_PATH or CONTAINER:DEST_PATH")->required();
  sub->add_flag("-a,--archive", o->archive, "Archive mode (copy all uid/gid information)");
  sub->add_flag("-L,--follow-link", o->follow, "Always follow symbol link in SRC_PATH");
  sub->callback([&cli, o] {
    auto [sc, sp] = split_spec(o->src);
    auto [dc, dp] = split_spec(o->dst);
    if (!sc.empty() && !dc.empty()) return (void)cli.error("copying between containers is not supported");
    if (sc.empty() && dc.empty()) return (void)cli.error("must specify at least one container source");
    auto* c = cli.api();
    if (!c) return;
    CpOptions local = *o;
    if (!sc.empty()) {
      cli.exit_code = from_container(cli, *c, sc, sp.empty() ? "/" : sp, local);
    } else {
      local.src = sp;
      cli.exit_code = to_container(cli, *c, dc, dp.empty() ? "/" : dp, local);
    }
  });
}

}  // namespace berth::cli
