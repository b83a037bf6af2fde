#pragma once
#include "runtime/cgroup/cgroup_v1.hpp"
#include "runtime/cgroup/cgroup_v2.hpp"

namespace berth::runtime {

class CgroupHybrid : public CgroupManager {
 public:
  CgroupHybrid(CgroupV1 v1, CgroupV2 v2);
  CgroupLayout layout() const override { return CgroupLayout::Hybrid; }
  Result<> create(const nlohmann::json& resources) override;
  Result<> update(const nlohmann::json& resources) override;
  Result<> add_process(pid_t pid) override;
  Result<> freeze() override { return v1_.freeze(); }
  Result<> thaw() override { return v1_.thaw(); }
  Result<bool> frozen() override { return v1_.frozen(); }
  Result<std::vector<pid_t>> pids() override;
  Result<nlohmann::json> stats() override;
  Result<> destroy() override;
  std::string path() const override { return v2_.path(); }
  nlohmann::json save() const override;
  Result<OomEvents> oom_events() override { return v1_.oom_events(); }
  void set_warning_sink(std::function<void(const std::string&)> sink) override {
    v1_.set_warning_sink(sink);
    v2_.set_warning_sink(std::move(sink));
  }
  Result<uint64_t> oom_kill_count() override { return v1_.oom_kill_count(); }

 private:
  std::pair<nlohmann::json, nlohmann::json> split(const nlohmann::json& r) const;
  CgroupV1 v1_;
  CgroupV2 v2_;
};

}  // namespace berth::runtime
