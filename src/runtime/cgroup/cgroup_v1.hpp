// cgroup v1: one directory per mounted hierarchy (cpu and cpuacct may share one),
// named hierarchies such as name=systemd included. Also the limit half of the hybrid manager.
#pragma once
#include <map>
#include <string>

#include "runtime/cgroup/cgroup.hpp"

namespace berth::runtime {

class CgroupV1 : public CgroupManager {
 public:
  // dirs: controller ("memory", "cpu", "name=systemd") -> the container's directory in it.
  CgroupV1(std::string path, std::map<std::string, std::string> dirs);
  CgroupLayout layout() const override { return CgroupLayout::V1; }
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

  // Pieces the hybrid manager reuses.
  Result<> check_supported(const nlohmann::json& r, bool allow_unified) const;
  Result<> apply(const nlohmann::json& r, bool update);
  Result<std::vector<std::string>> make_dirs();  // returns what it created
  const std::map<std::string, std::string>& dirs() const { return dirs_; }
  bool has_controller(const std::string& c) const { return dirs_.count(c) != 0; }
  // Records the parents that create() added, so destroy() removes them too.
  void note_created(const std::vector<std::string>& created);
  void set_parents(std::vector<std::string> p) { parents_ = std::move(p); }

 private:
  const std::string* dir(const std::string& controller) const;
  std::vector<std::string> unique_dirs() const;
  Result<> apply_memory(const nlohmann::json& m, bool update);
  Result<> apply_cpu(const nlohmann::json& c);
  Result<> apply_blkio(const nlohmann::json& b);
  Result<> apply_devices(const nlohmann::json& d);
  Result<> apply_network(const nlohmann::json& n);

  std::string path_;
  std::map<std::string, std::string> dirs_;
  std::vector<std::string> parents_;
};

}  // namespace berth::runtime
