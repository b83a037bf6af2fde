// Container lookups. The lifecycle endpoints arrive with the shim; until then the lookups
// answer from the metadata database so that `docker inspect` of an image (which asks for a
// container first) gets dockerd's 404 and moves on.
#include <nlohmann/json.hpp>

#include "api/response.hpp"
#include "api/routes.hpp"

namespace berth::api {

void add_container_routes(Router& r, engine::Daemon& d) {
  r.add("GET", "/containers/json", [](Exchange& ex) { return reply_json(ex, 200, nlohmann::json::array()); });
  r.add("GET", "/containers/{name}/json", [&d](Exchange& ex) -> Result<> {
    auto c = BERTH_TRY(d.containers().find(ex.request().param("name")), "");
    return fail(ErrorKind::Unavailable, "container " + c.id + ": container endpoints are not implemented yet");
  });
}

}  // namespace berth::api
