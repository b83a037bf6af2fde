#include "engine/restart_policy.hpp"

#include <nlohmann/json.hpp>

#include "common/json_util.hpp"

namespace berth::engine {

using nlohmann::json;

Result<RestartPolicy> parse_restart_policy(const json& j) {
  RestartPolicy p;
  if (j.is_null()) return p;
  if (!j.is_object())
    return fail(ErrorKind::Invalid, std::string("json: cannot unmarshal ") + j.type_name() +
                                        " into Go struct field HostConfig.HostConfig.RestartPolicy of type container.RestartPolicy");
  if (auto n = j.find("Name"); n != j.end() && !n->is_null()) {
    if (!n->is_string())
      return fail(ErrorKind::Invalid, std::string("json: cannot unmarshal ") + n->type_name() +
                                          " into Go struct field RestartPolicy.HostConfig.RestartPolicy.Name of type "
                                          "container.RestartPolicyMode");
    p.name = n->get<std::string>();
  }
  if (auto m = j.find("MaximumRetryCount"); m != j.end() && !m->is_null()) {
    if (!m->is_number_integer() || m->get<int64_t>() > INT32_MAX || m->get<int64_t>() < INT32_MIN)
      return fail(ErrorKind::Invalid, std::string("json: cannot unmarshal ") + m->type_name() +
                                          " into Go struct field RestartPolicy.HostConfig.RestartPolicy.MaximumRetryCount "
                                          "of type int");
    p.max_retry = m->get<int>();
  }
  // dockerd 20.10's words (daemon/container.go validateRestartPolicy), the daemon the tests
  // compare with; newer ones prefix "invalid restart policy: ".
  if (p.name.empty()) p.name = "no";
  if (p.name == "no" || p.name == "always" || p.name == "unless-stopped") {
    if (p.max_retry != 0)
      return fail(ErrorKind::Invalid, "maximum retry count cannot be used with restart policy '" + p.name + "'");
  } else if (p.name == "on-failure") {
    if (p.max_retry < 0) return fail(ErrorKind::Invalid, "maximum retry count cannot be negative");
  } else {
    return fail(ErrorKind::Invalid, "invalid restart policy '" + p.name + "'");
  }
  return p;
}

Result<RestartPolicy> restart_policy_for_create(const json& hc) {
  json rp = hc.is_object() && hc.contains("RestartPolicy") ? hc["RestartPolicy"] : json();
  bool autoremove = json_flag(hc, "AutoRemove");
  // dockerd looks at AutoRemove first, with the name as given.
  if (autoremove && rp.is_object() && rp.value("Name", json()).is_string()) {
    auto name = rp["Name"].get<std::string>();
    if (!name.empty() && name != "no")
      return fail(ErrorKind::Invalid, "can't create 'AutoRemove' container with restart policy");
  }
  return parse_restart_policy(rp);
}

json restart_policy_json(const RestartPolicy& p) { return {{"Name", p.name}, {"MaximumRetryCount", p.max_retry}}; }

std::optional<std::chrono::milliseconds> RestartBackoff::next(const RestartPolicy& p, const ExitFacts& f) {
  if (p.none()) return std::nullopt;
  // A run long enough resets the back-off, whatever the policy decides.
  if (f.ran >= kResetAfter) delay_ = std::chrono::milliseconds(0);
  delay_ = delay_.count() == 0 ? kInitial : std::min(delay_ * 2, kMax);
  bool restart = false;
  if (p.name == "always") restart = true;
  else if (p.name == "unless-stopped") restart = !f.manually_stopped;
  else if (p.name == "on-failure") restart = f.exit_code != 0 && (p.max_retry == 0 || count_ < p.max_retry);
  if (!restart) return std::nullopt;
  ++count_;
  return delay_;
}

}  // namespace berth::engine
