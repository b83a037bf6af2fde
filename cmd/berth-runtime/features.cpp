#include <cstdio>

#include "runtime/process/capabilities.hpp"
#include "runtime/seccomp/seccomp.hpp"
#include "runtime/spec/spec.hpp"
#include "verbs.hpp"

namespace berth::cli {

void add_features(CLI::App& app, Globals& g) {
  auto* sub = app.add_subcommand("features", "print what this runtime supports (OCI features JSON)");
  set_action(sub, []() -> Result<int> {
    using nlohmann::json;
    json f = {
        {"ociVersionMin", "1.0.0"},
        {"ociVersionMax", "1.2.0"},
        {"hooks", {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}},
        {"mountOptions",
         {"async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "iversion", "lazytime",
          "loud", "mand", "noatime", "nodev", "nodiratime", "noexec", "noiversion", "nolazytime", "nomand",
          "norelatime", "nostrictatime", "nosuid", "private", "rbind", "relatime", "remount", "ro", "rprivate",
          "rshared", "rslave", "runbindable", "rw", "shared", "silent", "slave", "strictatime", "suid", "sync",
          "unbindable"}},
        {"linux",
         {{"namespaces", {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"}},
          {"capabilities", runtime::all_cap_names()},
          {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}}},
          {"seccomp", runtime::seccomp_features()},
          {"apparmor", {{"enabled", false}}},
          {"selinux", {{"enabled", false}}}}},
        {"annotations", {{"org.opencontainers.runtime-spec.features.version", "1.2.0"}}}};
    std::printf("%s\n", f.dump(4).c_str());
    return 0;
  });
}

}  // namespace berth::cli
