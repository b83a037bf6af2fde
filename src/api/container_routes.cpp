// Container lifecycle: create, start, stop, kill, restart, wait, remove, pause, unpause, rename,
// prune. Streams (logs,
// attach) are in container_stream_routes.cpp; the JSON shapes in container_json.cpp.
#include <nlohmann/json.hpp>
#include <set>

#include "api/container_json.hpp"
#include "api/response.hpp"
#include "api/routes.hpp"

namespace berth::api {

using nlohmann::json;

namespace {

Result<std::optional<int>> query_int(const Request& req, const std::string& key) {
  auto v = req.query_value(key);
  if (!v || v->empty()) return std::optional<int>{};
  try {
    size_t used = 0;
    int n = std::stoi(*v, &used);
    if (used == v->size()) return std::optional<int>(n);
  } catch (...) {
  }
  return fail(ErrorKind::Invalid, "invalid value for " + key + ": " + *v);
}

Result<> no_content(Exchange& ex) { return ex.reply(204, "", ""); }

// Start of a running or stop of a stopped container: dockerd's 304 without a body.
Result<> not_modified_or(Exchange& ex, Result<> r) {
  if (!r && r.error().kind == ErrorKind::Exists) return ex.reply(304, "", "");
  if (!r && r.error().kind == ErrorKind::Conflict && r.error().message == "container already started")
    return ex.reply(304, "", "");
  if (!r) return r;
  return no_content(ex);
}

Result<> create_container(Exchange& ex, engine::Daemon& d) {
  auto body = BERTH_TRY(read_json_body(ex, kJsonBodyLimit), "");
  auto name = ex.request().query_value("name").value_or("");
  auto r = BERTH_TRY(d.container_service().create(body, name), "");
  return reply_json(ex, 201, json{{"Id", r.id}, {"Warnings", r.warnings}});
}

Result<engine::WaitCondition> wait_condition(const Request& req) {
  auto c = req.query_value("condition").value_or("not-running");
  if (c == "not-running" || c.empty()) return engine::WaitCondition::NotRunning;
  if (c == "next-exit") return engine::WaitCondition::NextExit;
  if (c == "removed") return engine::WaitCondition::Removed;
  return fail(ErrorKind::Invalid, "invalid condition: \"" + c + "\"");
}

json wait_body(const engine::WaitResult& w) {
  json err = w.error.empty() ? json(nullptr) : json{{"Message", w.error}};
  return {{"StatusCode", w.exit_code}, {"Error", err}};
}

Result<> wait(Exchange& ex, engine::Daemon& d) {
  auto cond = BERTH_TRY(wait_condition(ex.request()), "");
  auto& svc = d.container_service();
  auto name = ex.request().param("name");
  auto found = svc.find(name);
  if (!found) {
    auto w = BERTH_TRY(svc.wait(name, cond), "");  // a removed container's last exit, or 404
    return reply_json(ex, 200, wait_body(w));
  }
  // dockerd sends the status line at once, so the client knows the wait is registered: an
  // exit after this point counts for next-exit.
  int exits = svc.exit_count(found->id);
  auto changes = BERTH_TRY(svc.watch_changes(), "");  // before the check: no change is missed
  BERTH_CHECK(ex.start_stream(200, "application/json"), "");
  json body;
  while (true) {
    auto w = svc.try_wait(found->id, cond, exits);
    if (!w) {
      body = json{{"StatusCode", -1}, {"Error", {{"Message", w.error().what()}}}};
      break;
    }
    if (*w) {
      body = wait_body(**w);
      break;
    }
    // A client that hangs up ends the wait: nothing is left waiting for a container forever.
    if (ex.wait(changes->fd(), -1) == WaitResult::ClientGone) return {};
    changes->clear();
  }
  BERTH_CHECK(ex.write(body.dump() + "\n"), "");
  return ex.finish_stream();
}

}  // namespace

void add_container_routes(Router& r, engine::Daemon& d) {
  r.add("POST", "/containers/create", [&d](Exchange& ex) { return create_container(ex, d); });
  r.add("GET", "/containers/json", [&d](Exchange& ex) -> Result<> {
    auto list = BERTH_TRY(container_list_json(d, ex.request()), "");
    return reply_json(ex, 200, list);
  });
  r.add("GET", "/containers/{name}/json", [&d](Exchange& ex) -> Result<> {
    auto c = BERTH_TRY(d.container_service().find(ex.request().param("name")), "");
    return reply_json(ex, 200, container_inspect_json(d, c, ex.request().query_bool("size"), ex.request().api_version));
  });
  r.add("POST", "/containers/{name}/start", [&d](Exchange& ex) -> Result<> {
    return not_modified_or(ex, d.container_service().start(ex.request().param("name")));
  });
  r.add("POST", "/containers/{name}/stop", [&d](Exchange& ex) -> Result<> {
    auto t = BERTH_TRY(query_int(ex.request(), "t"), "");
    auto sig = ex.request().query_value("signal").value_or("");
    return not_modified_or(ex, d.container_service().stop(ex.request().param("name"), t, sig));
  });
  r.add("POST", "/containers/{name}/restart", [&d](Exchange& ex) -> Result<> {
    auto t = BERTH_TRY(query_int(ex.request(), "t"), "");
    BERTH_CHECK(d.container_service().restart(ex.request().param("name"), t), "");
    return no_content(ex);
  });
  r.add("POST", "/containers/{name}/kill", [&d](Exchange& ex) -> Result<> {
    auto sig = ex.request().query_value("signal").value_or("");
    BERTH_CHECK(d.container_service().kill(ex.request().param("name"), sig), "");
    return no_content(ex);
  });
  r.add("POST", "/containers/{name}/wait", [&d](Exchange& ex) { return wait(ex, d); });
  r.add("DELETE", "/containers/{name}", [&d](Exchange& ex) -> Result<> {
    // A pod sandbox's network namespace and CNI state are the CRI's: only RemovePodSandbox
    // releases them (a remove from here would leak them), and the kubelet would make it again.
    if (auto c = d.containers().find(ex.request().param("name")); c && d.container_service().netns_pinned(c->id))
      return fail(ErrorKind::Conflict, "cannot remove container \"" + c->name +
                                           "\": it is the sandbox of a Kubernetes pod, owned by berthd's CRI: "
                                           "remove the pod through the CRI (crictl rmp " + c->id + ")");
    BERTH_CHECK(d.container_service().remove(ex.request().param("name"), ex.request().query_bool("force"),
                                             ex.request().query_bool("v")), "");
    return no_content(ex);
  });
  r.add("POST", "/containers/{name}/pause", [&d](Exchange& ex) -> Result<> {
    BERTH_CHECK(d.container_service().pause(ex.request().param("name")), "");
    return no_content(ex);
  });
  r.add("POST", "/containers/{name}/unpause", [&d](Exchange& ex) -> Result<> {
    BERTH_CHECK(d.container_service().unpause(ex.request().param("name")), "");
    return no_content(ex);
  });
  r.add("POST", "/containers/{name}/rename", [&d](Exchange& ex) -> Result<> {
    auto name = ex.request().query_value("name").value_or("");
    BERTH_CHECK(d.container_service().rename(ex.request().param("name"), name), "");
    return no_content(ex);
  });
  r.add("POST", "/containers/prune", [&d](Exchange& ex) -> Result<> {
    static const std::set<std::string> keys = {"until", "label", "label!"};
    auto f = BERTH_TRY(engine::Filters::parse(ex.request().query_value("filters").value_or(""), keys), "");
    auto pr = BERTH_TRY(d.container_service().prune(f), "");
    json deleted = pr.deleted.empty() ? json(nullptr) : json(pr.deleted);  // Go's nil slice
    return reply_json(ex, 200, json{{"ContainersDeleted", deleted}, {"SpaceReclaimed", pr.reclaimed}});
  });
  add_container_stream_routes(r, d);
  add_container_archive_routes(r, d);
}

}  // namespace berth::api
