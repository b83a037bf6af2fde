// OCI hooks: each runs with the container state JSON on stdin, honouring its timeout.
#pragma once
#include <string>
#include <vector>

#include "common/error.hpp"
#include "runtime/spec/spec.hpp"

namespace berth::runtime {

// Runs the hooks in order; the first failure stops the list ("hook /x: exited 3: <stderr>").
Result<> run_hooks(const std::vector<Hook>& hooks, std::string_view kind, const std::string& state_json);
// poststart and poststop: every hook runs whatever the others did; the failures come back.
std::vector<Error> run_hooks_all(const std::vector<Hook>& hooks, std::string_view kind, const std::string& state_json);

}  // namespace berth::runtime
