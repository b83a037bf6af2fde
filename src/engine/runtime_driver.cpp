#include "engine/runtime_driver.hpp"

#include <nlohmann/json.hpp>

#include "engine/external_runtime.hpp"
#include "runtime/cgroup/cgroup_verbs.hpp"

namespace berth::engine {

using nlohmann::json;

namespace {

class InProcessRuntime final : public RuntimeDriver {
 public:
  explicit InProcessRuntime(const RuntimeChoice& r) {
    g_.root = r.root;
    g_.seccomp_cache_dir = r.seccomp_cache;
  }
  Result<runtime::Created> create(const std::string& id, const std::string& bundle, const std::string&) override {
    runtime::CreateOptions co;
    co.id = id;
    co.bundle = bundle;
    co.die_with_parent = true;    // the shim creates: its container must not outlive it
    co.console_to_caller = true;  // with process.terminal: the pty master is the shim's
    return runtime::create_container(g_, co);
  }
  Result<> start(const std::string& id) override { return runtime::start_container(g_, id); }
  Result<runtime::Created> exec(const std::string& id, const json& process, const std::string&) override {
    runtime::ExecOptions eo;
    eo.id = id;
    eo.process = process;
    eo.console_to_caller = true;
    return runtime::spawn_exec(g_, eo);
  }
  Result<> kill(const std::string& id, int sig) override { return runtime::kill_container(g_, id, sig, false); }
  Result<> update(const std::string& id, const json& resources, const std::string&) override {
    return runtime::update_container(g_, id, resources);
  }
  Result<> remove(const std::string& id, bool force) override { return runtime::delete_container(g_, id, force); }

 private:
  runtime::GlobalOptions g_;
};

}  // namespace

json runtime_choice_json(const RuntimeChoice& r) {
  return {{"Name", r.name}, {"Path", r.path}, {"Args", r.args}, {"Root", r.root}, {"SeccompCache", r.seccomp_cache}};
}

Result<RuntimeChoice> runtime_choice_from_json(const json& j) {
  if (!j.is_object()) return fail(ErrorKind::Invalid, "runtime record: expected an object");
  RuntimeChoice r;
  try {
    r.name = j.value("Name", std::string(kBuiltinRuntime));
    r.path = j.value("Path", "");
    r.args = j.value("Args", std::vector<std::string>{});
    r.root = j.value("Root", "");
    r.seccomp_cache = j.value("SeccompCache", "");
  } catch (const json::exception& e) {
    return fail(ErrorKind::Invalid, std::string("runtime record: ") + e.what());
  }
  if (r.root.empty()) return fail(ErrorKind::Invalid, "runtime record: no Root");
  return r;
}

std::unique_ptr<RuntimeDriver> make_runtime_driver(const RuntimeChoice& r) {
  if (r.external()) return make_external_runtime(r);
  return std::make_unique<InProcessRuntime>(r);
}

}  // namespace berth::engine
