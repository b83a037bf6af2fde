// GET /containers/{id}/top?ps_args=: ps on the host, the container's rows (engine/container_top).
#include "api/response.hpp"
#include "api/routes.hpp"

namespace berth::api {

void add_container_top_routes(Router& r, engine::Daemon& d) {
  r.add("GET", "/containers/{name}/top", [&d](Exchange& ex) -> Result<> {
    auto args = ex.request().query_value("ps_args").value_or("");
    auto top = BERTH_TRY(d.container_service().top(ex.request().param("name"), args), "");
    return reply_json(ex, 200, top);
  });
}

}  // namespace berth::api
