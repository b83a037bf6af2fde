#include "engine/exit_record.hpp"

#include <nlohmann/json.hpp>

#include "common/fs.hpp"

namespace berth::engine {

Result<> write_exit_record(const std::string& dir, const ExitRecord& r) {
  nlohmann::json j = {{"ExitCode", r.exit_code}, {"FinishedAt", r.finished}, {"Error", r.error}, {"OOMKilled", r.oom_killed}};
  return write_file_atomic(path_join(dir, kExitRecordFile), j.dump() + "\n", 0600);
}

std::optional<ExitRecord> read_exit_record(const std::string& dir) {
  auto text = read_file(path_join(dir, kExitRecordFile));
  if (!text) return std::nullopt;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  ExitRecord r;
  r.exit_code = j.value("ExitCode", 0);
  r.finished = j.value("FinishedAt", "");
  r.error = j.value("Error", "");
  r.oom_killed = j.value("OOMKilled", false);
  return r;
}

}  // namespace berth::engine
