// berth's errors as gRPC statuses: the error's category picks the code (not found, invalid
// argument, ...), its text is the message crictl and the kubelet show.
#pragma once
#include <grpcpp/support/status.h>

#include "common/error.hpp"

namespace berth::cri {

grpc::Status to_status(const Error& e);

// A handler's result as its status; a failure is logged once, here at the boundary.
grpc::Status finish_call(const char* rpc, const Result<>& r);

}  // namespace berth::cri
