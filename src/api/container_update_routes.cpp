// POST /containers/{id}/update: the restart policy (resources are refused until they land).
#include "api/response.hpp"
#include "api/routes.hpp"

namespace berth::api {

void add_container_update_routes(Router& r, engine::Daemon& d) {
  r.add("POST", "/containers/{name}/update", [&d](Exchange& ex) -> Result<> {
    auto body = BERTH_TRY(read_json_body(ex, kJsonBodyLimit), "");
    auto warnings = BERTH_TRY(d.container_service().update(ex.request().param("name"), body), "");
    // Go's nil slice when there are none, as dockerd answers.
    return reply_json(ex, 200, nlohmann::json{{"Warnings", warnings.empty() ? nlohmann::json() : nlohmann::json(warnings)}});
  });
}

}  // namespace berth::api
