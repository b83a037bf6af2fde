// libnl's negative error codes as berth errors (private to src/network).
#pragma once
#include <string>

#include "common/error.hpp"

namespace berth::network {

Error nl_error(const std::string& what, int nl_err);

}  // namespace berth::network
