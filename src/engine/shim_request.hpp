// A one-shot control request to a container's shim on its attach socket (Resize, ReopenLog):
// the frame goes out, berthd's side is shut for writing, and the answer is awaited (5 s at
// most): EOF once the shim has handled the frame, or an Error frame with its refusal.
#pragma once
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/fd.hpp"

namespace berth::engine {

// what: "resize container <id>", for errors of the exchange itself (Internal). The shim's
// refusal is an error of kind `refused` with the shim's text.
Result<> shim_request(UniqueFd conn, std::string_view frame, const std::string& what, ErrorKind refused);

}  // namespace berth::engine
