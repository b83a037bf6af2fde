// ReopenContainerLog's engine half: the shim that writes the container's log closes the file
// and opens its path again, so the kubelet's rotation (rename, then reopen) loses no output:
// what was written before the reopen is in the renamed file, what comes after in the new one.
#include "engine/attach_protocol.hpp"
#include "engine/container_service.hpp"
#include "engine/shim_request.hpp"

namespace berth::engine {

Result<> ContainerService::reopen_log(std::string_view ref) {
  UniqueFd fd;
  std::string id;
  {
    std::lock_guard lk(mu_);
    auto c = BERTH_TRY(store_.find(ref), "");
    id = c.id;
    // containerd's words: the kubelet only ever reopens the logs of running containers.
    if (!is_live(c.state)) return fail(ErrorKind::Conflict, "container is not running");
    fd = BERTH_TRY(connect_attach_socket(state_dir(c.id)), "reopen the log of container " + c.id);
  }
  return shim_request(std::move(fd), encode_frame(FrameType::ReopenLog), "reopen the log of container " + id,
                      ErrorKind::Internal);
}

}  // namespace berth::engine
