// cgroup v2: one directory under the unified root; controllers enabled in the ancestors'
// cgroup.subtree_control, devices through eBPF, freezing through cgroup.freeze.
// Also the process-tracking half of the hybrid manager.
#pragma once
#include <set>
#include <string>

#include "runtime/cgroup/cgroup.hpp"

namespace berth::runtime {

class CgroupV2 : public CgroupManager {
 public:
  // root: the cgroup2 mount point; path: the cgroup below it ("/a/b").
  CgroupV2(std::string root, std::string path);
  CgroupLayout layout() const override { return CgroupLayout::V2; }
  Result<> create(const nlohmann::json& resources) override;
  Result<> update(const nlohmann::json& resources) override;
  Result<> add_process(pid_t pid) override;
  Result<> freeze() override;
  Result<> thaw() override;
  Result<bool> frozen() override;
  Result<std::vector<pid_t>> pids() override;
  Result<nlohmann::json> stats() override;
  Result<> destroy() override;
  std::string path() const override { return path_; }
  nlohmann::json save() const override;
  Result<OomEvents> oom_events() override;
  Result<uint64_t> oom_kill_count() override;

  const std::string& dir() const { return dir_; }
  // Listed in the root's cgroup.controllers.
  bool controller_available(const std::string& c) const;
  // Controllers linux.resources needs ("memory", "cpu", "io", ...), unified keys included.
  static std::set<std::string> needed_controllers(const nlohmann::json& r);
  Result<> check_supported(const nlohmann::json& r) const;
  // Creates the directory and enables the controllers in every ancestor; returns what it created.
  Result<std::vector<std::string>> make_dirs(const std::set<std::string>& controllers);
  Result<> apply(const nlohmann::json& r, bool update);
  void note_created(const std::vector<std::string>& created);
  void set_parents(std::vector<std::string> p) { parents_ = std::move(p); }

 private:
  Result<> apply_memory(const nlohmann::json& m, bool update);
  Result<> apply_cpu(const nlohmann::json& c);
  Result<> apply_io(const nlohmann::json& b);
  Result<> wait_frozen(bool want);

  std::string root_, path_, dir_;
  std::vector<std::string> parents_;
};

}  // namespace berth::runtime
