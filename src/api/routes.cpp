#include "api/routes.hpp"

namespace berth::api {

Router make_router(engine::Daemon& d) {
  Router r;
  add_system_routes(r, d);
  add_image_routes(r, d);
  add_image_transfer_routes(r, d);
  add_build_routes(r, d);
  add_container_routes(r, d);
  add_network_routes(r, d);
  add_volume_routes(r, d);
  add_container_stats_routes(r, d);
  add_container_top_routes(r, d);
  add_container_update_routes(r, d);
  add_exec_routes(r, d);
  return r;
}

}  // namespace berth::api
