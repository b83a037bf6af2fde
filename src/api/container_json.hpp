// Containers in dockerd's JSON shapes: `docker inspect` (GET /containers/{id}/json) and
// `docker ps` (GET /containers/json with all, limit, size, filters).
#pragma once
#include <nlohmann/json.hpp>

#include "api/http.hpp"
#include "engine/daemon.hpp"

namespace berth::api {

// size: SizeRw and SizeRootFs as well (?size=1).
// api_version: the request's ("" = the newest); it decides the endpoints' Aliases and DNSNames.
nlohmann::json container_inspect_json(engine::Daemon& d, const engine::ContainerRecord& c, bool size = false,
                                      const std::string& api_version = "");
Result<nlohmann::json> container_list_json(engine::Daemon& d, const Request& req);
// "Up 3 seconds", "Exited (0) 2 minutes ago", "Created": the Status column of `docker ps`.
std::string container_status_text(const engine::ContainerRecord& c, int64_t now_unix);
// Docker's units.HumanDuration.
std::string human_duration(int64_t seconds);

}  // namespace berth::api
