// The Engine API's routes, grouped by the part of the engine they serve.
#pragma once
#include "api/router.hpp"
#include "engine/daemon.hpp"

namespace berth::api {

inline constexpr size_t kJsonBodyLimit = 4 * 1024 * 1024;  // JSON request bodies (create, auth ...)
inline constexpr const char* kEngineVersion = "0.1.0";

void add_system_routes(Router& r, engine::Daemon& d);
void add_image_routes(Router& r, engine::Daemon& d);
void add_image_transfer_routes(Router& r, engine::Daemon& d);
void add_container_routes(Router& r, engine::Daemon& d);
void add_container_stream_routes(Router& r, engine::Daemon& d);  // logs, attach
void add_network_routes(Router& r, engine::Daemon& d);
void add_volume_routes(Router& r, engine::Daemon& d);
void add_container_stats_routes(Router& r, engine::Daemon& d);
void add_container_top_routes(Router& r, engine::Daemon& d);
void add_container_update_routes(Router& r, engine::Daemon& d);
void add_exec_routes(Router& r, engine::Daemon& d);
void add_container_archive_routes(Router& r, engine::Daemon& d);  // cp, export, diff, commit
void add_build_routes(Router& r, engine::Daemon& d);              // build, build cache prune

// Every route berthd serves.
Router make_router(engine::Daemon& d);

}  // namespace berth::api
