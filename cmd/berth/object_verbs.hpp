// What the verbs on daemon objects (networks, volumes) share: one checked API call, "k=v" flags
// into an object, and `inspect` of several objects with or without --format.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"

namespace berth::cli {

// The response when the daemon answered 2xx; otherwise the error is printed as docker prints it
// (exit code set) and nullopt returned.
std::optional<api::ClientResponse> call_ok(Cli& cli, const std::string& method, const std::string& path,
                                           const std::string& body = "");

// "k=v" items into an object; need_value: an item without "=" is an error named after the flag
// (labels may go without a value).
std::optional<nlohmann::json> key_values(Cli& cli, const std::vector<std::string>& items, const char* flag,
                                         bool need_value);

// GET <collection>/<name> for each name, printed as a JSON array or through the Go template.
void print_inspected(Cli& cli, const std::string& collection, const std::vector<std::string>& names,
                     const std::string& format);

}  // namespace berth::cli
