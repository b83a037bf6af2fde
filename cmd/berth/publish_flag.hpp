// -p/--publish and --expose as the docker client reads them, into the create body's
// HostConfig.PortBindings and Config.ExposedPorts; and ps's PORTS column from /containers/json.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace berth::cli {

// "[ip:][hostPort[-end]:]containerPort[-end][/proto]"; errors with the docker client's wording
// ("invalid containerPort: abc", "invalid hostPort: 70000").
Result<> add_publish(nlohmann::json& port_bindings, nlohmann::json& exposed_ports, std::string_view spec);
// "port[-end][/proto]".
Result<> add_expose(nlohmann::json& exposed_ports, std::string_view spec);

// "0.0.0.0:8080->80/tcp, 443/tcp".
std::string ports_column(const nlohmann::json& ports);

}  // namespace berth::cli
