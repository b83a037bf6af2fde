// An external OCI runtime driven through runc's command line: `create --bundle --pid-file`
// with the caller's stdio inherited, `start`, `kill`, `delete --force`, each with the
// runtime's own --root and the configured runtimeArgs. Errors come back from its JSON log
// (--log-format json) or its stderr, so the user sees runc's own message.
#pragma once
#include <memory>

#include "engine/runtime_driver.hpp"

namespace berth::engine {

std::unique_ptr<RuntimeDriver> make_external_runtime(const RuntimeChoice& r);

}  // namespace berth::engine
