// rename: dockerd's checks in its order (empty names, lookup, same name, name syntax, clash),
// one DB statement, and the "rename" event with the old name.
#include "engine/container_id.hpp"
#include "engine/container_service.hpp"

namespace berth::engine {

Result<> ContainerService::rename(std::string_view ref, const std::string& new_name_in) {
  if (ref.empty() || new_name_in.empty())
    return fail(ErrorKind::Invalid, "Neither old nor new names may be empty");
  std::unique_lock lk(mu_);
  auto c = BERTH_TRY(store_.find(ref), "");
  std::string wanted = new_name_in[0] == '/' ? new_name_in : "/" + new_name_in;
  std::string asked = ref[0] == '/' ? std::string(ref) : "/" + std::string(ref);
  if (wanted == c.name || wanted == asked)
    return fail(ErrorKind::Invalid, "Renaming a container with the same name as its current name");
  auto name = normalize_name(wanted);
  if (!name) return fail(name.error().wrap("Error when allocating new name"));
  if (auto r = store_.rename(c.id, *name); !r) return fail(r.error().wrap("Error when allocating new name"));
  std::string old = c.name;
  c.name = *name;
  if (is_live(c.state)) refresh_container_dns(c);  // the new name resolves, the old one no more
  event(c, "rename", {{"oldName", old}});
  return {};
}

}  // namespace berth::engine
