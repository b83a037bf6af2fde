// GET /containers/{id}/stats: one StatsJSON (stream=false; two samples a second apart so that
// the client can compute CPU %, or one with one-shot=true) or a stream of one per second.
#include "api/response.hpp"
#include "api/routes.hpp"
#include "engine/container_stats.hpp"

namespace berth::api {

using nlohmann::json;

namespace {

constexpr int kStatsIntervalMs = 1000;

// A sample, or null for a container that is not running (dockerd answers zeros for it).
Result<json> sample_or_null(engine::ContainerService& svc, const std::string& id) {
  auto s = svc.stats_sample(id);
  if (!s && s.error().kind == ErrorKind::Conflict) return json();
  if (!s) return fail(s.error());
  return *s;
}

json body_of(const json& sample, const json& previous, const engine::ContainerRecord& c) {
  if (sample.is_null()) return engine::docker_stats_empty(c.name, c.id);
  return engine::docker_stats_body(sample, previous, c.name, c.id);
}

Result<> stats(Exchange& ex, engine::Daemon& d) {
  auto& svc = d.container_service();
  auto c = BERTH_TRY(svc.find(ex.request().param("name")), "");
  bool stream = ex.request().query_bool("stream", true);
  bool one_shot = ex.request().query_bool("one-shot", false);
  if (stream && one_shot) return fail(ErrorKind::Invalid, "cannot have stream=true and one-shot=true");
  auto first = BERTH_TRY(sample_or_null(svc, c.id), "");
  if (!stream) {
    json previous;
    if (!one_shot && !first.is_null()) {
      if (ex.wait(-1, kStatsIntervalMs) == WaitResult::ClientGone) return {};
      previous = first;
      first = BERTH_TRY(sample_or_null(svc, c.id), "");
    }
    return reply_json(ex, 200, body_of(first, previous, c));
  }
  BERTH_CHECK(ex.start_stream(200, "application/json"), "");
  json previous;
  for (json cur = first;;) {
    BERTH_CHECK(ex.write(body_of(cur, previous, c).dump() + "\n"), "");
    previous = cur;
    // Paced by the connection's wait: a client that hangs up ends the stream at once.
    if (ex.wait(-1, kStatsIntervalMs) == WaitResult::ClientGone) return {};
    if (!svc.find(c.id)) break;  // removed
    cur = BERTH_TRY(sample_or_null(svc, c.id), "");
  }
  return ex.finish_stream();
}

}  // namespace

void add_container_stats_routes(Router& r, engine::Daemon& d) {
  r.add("GET", "/containers/{name}/stats", [&d](Exchange& ex) { return stats(ex, d); });
}

}  // namespace berth::api
