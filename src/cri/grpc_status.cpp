#include "cri/grpc_status.hpp"

#include "common/log.hpp"

namespace berth::cri {

grpc::Status to_status(const Error& e) {
  grpc::StatusCode code = grpc::StatusCode::INTERNAL;
  switch (e.kind) {
    case ErrorKind::NotFound: code = grpc::StatusCode::NOT_FOUND; break;
    case ErrorKind::Exists: code = grpc::StatusCode::ALREADY_EXISTS; break;
    case ErrorKind::Invalid: code = grpc::StatusCode::INVALID_ARGUMENT; break;
    case ErrorKind::Conflict: code = grpc::StatusCode::FAILED_PRECONDITION; break;
    case ErrorKind::Unavailable: code = grpc::StatusCode::UNAVAILABLE; break;
    case ErrorKind::Permission: code = grpc::StatusCode::PERMISSION_DENIED; break;
    case ErrorKind::Internal: break;
  }
  return grpc::Status(code, e.what());
}

grpc::Status finish_call(const char* rpc, const Result<>& r) {
  if (r) return grpc::Status::OK;
  log::warn(std::string("CRI ") + rpc + ": " + r.error().what());
  return to_status(r.error());
}

}  // namespace berth::cri
