#include "cri/container_log_path.hpp"

#include "common/fs.hpp"

namespace berth::cri {

namespace {

Result<> check(const std::string& field, const std::string& p, bool absolute) {
  auto bad = [&](const std::string& why) { return fail(ErrorKind::Invalid, field + " \"" + p + "\": " + why); };
  if (p.find('\0') != std::string::npos) return bad("contains a NUL byte");
  if (absolute && p[0] != '/') return bad("must be an absolute path");
  if (!absolute && p[0] == '/') return bad("must be relative to the pod's log_directory");
  if (has_dotdot(p)) return bad("must not contain \"..\"");
  return {};
}

}  // namespace

Result<std::string> container_log_path(const ::runtime::v1::PodSandboxConfig& pod,
                                       const ::runtime::v1::ContainerConfig& config) {
  const auto& dir = pod.log_directory();
  const auto& rel = config.log_path();
  if (dir.empty() || rel.empty()) return std::string();
  BERTH_CHECK(check("pod sandbox log_directory", dir, true), "");
  BERTH_CHECK(check("config.log_path", rel, false), "");
  return path_join(dir, rel);
}

}  // namespace berth::cri
