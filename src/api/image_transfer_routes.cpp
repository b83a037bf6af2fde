// Routes that move image bytes: pull and import (/images/create), push, save (/images/get),
// load. Progress goes back as dockerd's JSON message stream.
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "api/image_errors.hpp"
#include "api/json_stream.hpp"
#include "api/registry_auth_header.hpp"
#include "api/response.hpp"
#include "api/routes.hpp"
#include "common/fs.hpp"
#include "image/archive.hpp"
#include "image/distribution.hpp"
#include "image/reference.hpp"

namespace berth::api {

using nlohmann::json;

namespace {

// Reference::parse defaults the tag to latest, so the text tells whether one was named: a ':'
// after the last '/', or an '@'.
bool names_tag_or_digest(std::string_view ref) {
  auto slash = ref.rfind('/');
  return ref.find('@') != std::string_view::npos ||
         ref.find(':', slash == std::string_view::npos ? 0 : slash) != std::string_view::npos;
}

image::RegistryOptions registry_options(engine::Daemon& d, const Request& req) {
  image::RegistryOptions o;
  o.insecure = d.config().insecure_registries;
  // The daemon acts with the credentials the client sends, never with a config file of its own.
  o.docker_config = path_join(d.config().data_root, "no-client-config.json");
  o.credentials = parse_registry_auth_header(req.header("x-registry-auth")).credentials;
  return o;
}

Result<> pull(Exchange& ex, engine::Daemon& d) {
  auto& req = ex.request();
  std::string from = req.query_value("fromImage").value_or(""), tag = req.query_value("tag").value_or("");
  auto named = image::Reference::parse(from);
  if (!named) return fail(ErrorKind::Invalid, named.error().message);
  if (tag.empty() && !names_tag_or_digest(from)) return fail(ErrorKind::Invalid, "pulling all tags of a repository is not supported yet");
  std::string refstr = tag.empty() ? from : from + (tag.starts_with("sha256:") ? "@" : ":") + tag;
  auto ref = image::Reference::parse(refstr);
  if (!ref) return fail(ErrorKind::Invalid, ref.error().message);

  image::PullOptions opts;
  opts.registry = registry_options(d, req);
  if (auto p = req.query_value("platform"); p && !p->empty()) {
    auto pl = image::Platform::parse(*p);
    if (!pl) return fail(ErrorKind::Invalid, pl.error().message);
    opts.platform = *pl;
  }
  auto before = d.images().resolve(ref->str());
  JsonStream out(ex);
  bool announced = false;
  std::vector<std::string> downloaded;
  opts.progress = [&](const image::Progress& p) {
    if (!announced) {
      announced = true;
      if (!out.status("Pulling from " + ref->path, ref->tag.empty() ? ref->reference() : ref->tag)) return false;
    }
    if (p.status.starts_with("Digest: ")) return out.status(p.status);
    if (p.status == "Download complete") downloaded.push_back(p.id);
    if (p.status == "Downloading") return out.progress(p.id, p.status, p.current, p.total);
    return out.progress(p.id, p.status, 0, 0);
  };
  auto rec = image::pull_image(d.images(), ref->str(), opts);
  if (!rec) return out.finish(fail(rec.error()));
  for (auto& id : downloaded) out.progress(id, "Pull complete", 0, 0);
  std::string shown = ref->digest ? ref->str() : ref->familiar_tagged();
  bool fresh = !before || *before != rec->id;
  out.status(std::string(fresh ? "Status: Downloaded newer image for " : "Status: Image is up to date for ") + shown);
  d.image_event("pull", shown, shown);
  return out.finish({});
}

Result<> import(Exchange& ex, engine::Daemon& d) {
  auto& req = ex.request();
  if (req.query_value("fromSrc").value_or("") != "-")
    return fail(ErrorKind::Invalid, "import from a URL is not supported: send the archive as the request body (fromSrc=-)");
  for (auto& c : req.query_values("changes"))
    if (!c.empty()) return fail(ErrorKind::Invalid, "import --change is not supported yet");
  std::string repo = req.query_value("repo").value_or(""), tag = req.query_value("tag").value_or("");
  image::ImportOptions opts;
  if (!repo.empty()) {
    opts.tag = repo + (tag.empty() ? "" : ":" + tag);
    auto ref = image::Reference::parse(opts.tag);
    if (!ref) return fail(ErrorKind::Invalid, ref.error().message);
  }
  opts.message = req.query_value("message").value_or("");
  if (auto p = req.query_value("platform"); p && !p->empty()) {
    auto pl = image::Platform::parse(*p);
    if (!pl) return fail(ErrorKind::Invalid, pl.error().message);
    opts.platform = *pl;
  }
  // The importer reads a file (it may have to look at the data twice to detect compression).
  std::string tmpl = path_join(d.images().root(), "tmp/import-XXXXXX");
  int raw = mkstemp(tmpl.data());
  if (raw < 0) return fail_sys("import: temporary file");
  UniqueFd fd(raw);
  struct Unlink {
    std::string p;
    ~Unlink() { unlink(p.c_str()); }
  } cleanup{tmpl};
  char buf[65536];
  while (true) {
    size_t n = BERTH_TRY(ex.read_body_some(buf, sizeof buf), "import");
    if (n == 0) break;
    for (size_t off = 0; off < n;) {
      ssize_t w = ::write(fd.get(), buf + off, n - off);
      if (w < 0) return fail_sys("import: write temporary file");
      off += static_cast<size_t>(w);
    }
  }
  auto rec = d.images().import(tmpl, opts);
  if (!rec) return fail(without_context(rec.error(), "import " + tmpl));
  d.image_event("import", rec->id.str(), opts.tag);
  JsonStream out(ex);
  out.status(rec->id.str());
  return out.finish({});
}

Result<> load(Exchange& ex, engine::Daemon& d) {
  // The archive streams from the request body through a socket pair into the loader, which
  // runs on its own thread; nothing is spooled to disk.
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return fail_sys("load: socketpair");
  UniqueFd reader(sv[0]), writer(sv[1]);
  Result<image::LoadResult> result = fail(ErrorKind::Internal, "load did not run");
  std::thread loader([&] {
    result = image::load_archive(d.images(), reader.get());
    shutdown(reader.get(), SHUT_RDWR);  // a feeder still writing gets EPIPE instead of blocking
  });
  Result<> fed;
  char buf[65536];
  while (true) {
    auto n = ex.read_body_some(buf, sizeof buf);
    if (!n) {
      fed = fail(n.error());
      break;
    }
    if (*n == 0) break;
    size_t off = 0;
    while (off < *n) {
      ssize_t w = send(writer.get(), buf + off, *n - off, MSG_NOSIGNAL);
      if (w <= 0) break;
      off += static_cast<size_t>(w);
    }
    if (off < *n) break;  // the loader stopped reading: its result says why
  }
  shutdown(writer.get(), SHUT_WR);
  loader.join();
  if (!result) return fail(ErrorKind::Invalid, without_context(result.error(), "load").what());
  if (!fed) return fail(fed.error());
  JsonStream out(ex);
  for (auto& t : result->tags) out.send({{"stream", "Loaded image: " + t + "\n"}});
  for (auto& img : result->images) {
    if (img.repo_tags.empty()) out.send({{"stream", "Loaded image ID: " + img.id.str() + "\n"}});
    for (auto& t : img.repo_tags) d.image_event("load", img.id.str(), t);
    if (img.repo_tags.empty()) d.image_event("load", img.id.str(), "");
  }
  return out.finish({});
}

Result<> save(Exchange& ex, engine::Daemon& d, std::vector<std::string> names) {
  if (names.empty()) return fail(ErrorKind::Invalid, "no images to save");
  for (auto& n : names)
    if (!d.images().resolve(n)) return fail(no_such_image(n));
  BERTH_CHECK(ex.start_stream(200, "application/x-tar"), "");
  BERTH_CHECK(image::save_archive(d.images(), names, image::ArchiveFormat::DockerArchive,
                                  [&](std::string_view chunk) { return ex.write(chunk); }),
              "save");
  for (auto& n : names) d.image_event("save", d.images().resolve(n)->str(), n);
  return ex.finish_stream();
}

// "digest: sha256:... size: 527" -> the aux message dockerd sends after a push.
json push_aux(const std::string& tag, const std::string& status) {
  std::string digest, size;
  auto dpos = status.find("digest: "), spos = status.find(" size: ");
  if (dpos != std::string::npos && spos != std::string::npos) {
    digest = status.substr(dpos + 8, spos - dpos - 8);
    size = status.substr(spos + 7);
  }
  return {{"progressDetail", json::object()},
          {"aux", {{"Tag", tag}, {"Digest", digest}, {"Size", size.empty() ? 0 : std::stoll(size)}}}};
}

Result<> push(Exchange& ex, engine::Daemon& d) {
  auto& req = ex.request();
  std::string name = req.param("name"), tag = req.query_value("tag").value_or("");
  auto named = image::Reference::parse(name);
  if (!named) return fail(ErrorKind::Invalid, named.error().message);
  // No tag: every local tag of the repository, as dockerd pushes them.
  std::vector<std::string> targets;
  if (!tag.empty() || names_tag_or_digest(name)) {
    targets.push_back(tag.empty() ? name : named->familiar_name() + ":" + tag);
  } else {
    for (auto& rec : BERTH_TRY(d.images().list(), "push"))
      for (auto& t : rec.repo_tags)
        if (auto r = image::Reference::parse(t); r && r->familiar_name() == named->familiar_name()) targets.push_back(t);
  }
  if (targets.empty() || !d.images().resolve(targets[0]))
    return fail(ErrorKind::NotFound, "An image does not exist locally with the tag: " + named->familiar_name());
  image::PushOptions opts;
  opts.registry = registry_options(d, req);
  JsonStream out(ex);
  out.status("The push refers to repository [" + named->familiar_name() + "]");
  for (auto& target : targets) {
    auto tref = BERTH_TRY(image::Reference::parse(target), "push");
    // The config blob travels too, but docker lists only the layers.
    std::string config_id = BERTH_TRY(d.images().resolve(target), "push").short_id();
    opts.progress = [&](const image::Progress& p) {
      if (p.id == config_id) return true;
      if (p.status.starts_with("digest: ")) {
        out.status(p.id + ": " + p.status);
        return out.send(push_aux(p.id, p.status));
      }
      if (p.status == "Pushing") return out.progress(p.id, p.status, p.current, p.total);
      return out.progress(p.id, p.status, 0, 0);
    };
    auto r = image::push_image(d.images(), target, "", opts);
    if (!r) return out.finish(fail(r.error()));
    d.image_event("push", tref.familiar_tagged(), tref.familiar_tagged());
  }
  return out.finish({});
}

}  // namespace

void add_image_transfer_routes(Router& r, engine::Daemon& d) {
  r.add("POST", "/images/create", [&d](Exchange& ex) -> Result<> {
    if (ex.request().query_value("fromSrc")) return import(ex, d);
    return pull(ex, d);
  });
  r.add("POST", "/images/load", [&d](Exchange& ex) { return load(ex, d); });
  r.add("GET", "/images/get", [&d](Exchange& ex) { return save(ex, d, ex.request().query_values("names")); });
  r.add("GET", "/images/{name*}/get", [&d](Exchange& ex) { return save(ex, d, {ex.request().param("name")}); });
  r.add("POST", "/images/{name*}/push", [&d](Exchange& ex) { return push(ex, d); });
}

}  // namespace berth::api
