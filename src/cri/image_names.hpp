// Image names as the CRI shows them: fully qualified ("docker.io/library/busybox:latest",
// "docker.io/library/busybox@sha256:..."), where the Docker side stores the familiar form
// ("busybox:latest"). Both name the same image: the store is shared.
#pragma once
#include <string>
#include <string_view>

namespace berth::cri {

// A name that does not parse as a reference is returned as it is.
std::string qualified_name(std::string_view familiar);

}  // namespace berth::cri
