#include "engine/build/context_files.hpp"

#include <algorithm>
#include <filesystem>

namespace berth::engine::build {
namespace {

namespace fs = std::filesystem;

Result<> walk(const fs::path& root, const std::string& rel, const Dockerignore& ignore, std::vector<std::string>& out) {
  std::error_code ec;
  std::vector<fs::directory_entry> entries;
  for (fs::directory_iterator it(rel.empty() ? root : root / rel, ec), end; !ec && it != end; it.increment(ec)) {
    entries.push_back(*it);
  }
  if (ec) return fail(ErrorKind::Invalid, "walk build context " + (rel.empty() ? "." : rel) + ": " + ec.message());
  std::ranges::sort(entries, {}, [](const fs::directory_entry& e) { return e.path().filename().string(); });
  for (const auto& e : entries) {
    std::string path = rel.empty() ? e.path().filename().string() : rel + "/" + e.path().filename().string();
    bool is_dir = e.symlink_status(ec).type() == fs::file_type::directory;  // links are not followed
    if (ec) return fail(ErrorKind::Invalid, "stat " + path + ": " + ec.message());
    if (ignore.excluded(path)) {
      if (is_dir && ignore.must_walk_excluded_dir(path)) BERTH_CHECK(walk(root, path, ignore, out), "");
      continue;
    }
    out.push_back(path);
    if (is_dir) BERTH_CHECK(walk(root, path, ignore, out), "");
  }
  return {};
}

}  // namespace

Result<std::vector<std::string>> context_files(const std::string& dir, const Dockerignore& ignore) {
  std::vector<std::string> out;
  BERTH_CHECK(walk(fs::path(dir), "", ignore, out), "");
  return out;
}

}  // namespace berth::engine::build
