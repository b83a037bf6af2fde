// Go's fmt output where dockerd's classic builder writes it into image history:
// %q of strings and string lists (["/bin/sh" "-c" "echo hi"]), %v of string lists
// ([/data /logs]) and time.Duration's String() ("1m30s", "500ms", "0s").
#pragma once
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace berth::engine::build {

std::string go_quote(std::string_view s);                       // strconv.Quote
std::string go_quote_list(const std::vector<std::string>& v);   // %q of a []string
std::string go_list(const std::vector<std::string>& v);         // %v of a []string
std::string go_duration(std::chrono::nanoseconds d);            // time.Duration.String()

}  // namespace berth::engine::build
