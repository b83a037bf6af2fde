// Helpers shared by the integration suites: run a command, temp dirs, a busybox bundle,
// bounded waits. Integration tests run as root against the real kernel.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace berth::test {

struct CmdResult {
  int status = -1;  // exit code, or 128+signal
  std::string out, err;
};

// Runs argv (no shell) with optional stdin text; waits at most timeout.
CmdResult run(const std::vector<std::string>& argv, const std::string& input = "",
              std::chrono::seconds timeout = std::chrono::seconds(60));
// Runs a shell command line with /bin/sh -c.
CmdResult sh(const std::string& script, std::chrono::seconds timeout = std::chrono::seconds(60));

std::string bin(const std::string& name);  // build/bin/<name>
bool have_program(const std::string& name);

// A temporary directory removed (recursively, after unmounting anything below) on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "berth-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

// Creates <dir>/rootfs with a static busybox and its applets, /etc/passwd and /etc/group.
void make_busybox_rootfs(const std::string& rootfs);

// A bundle: rootfs plus config.json from `berth-runtime spec`, editable before write().
struct Bundle {
  explicit Bundle(const std::string& dir);
  std::string dir;
  nlohmann::json config;
  void write() const;
};

// Polls cond until true or the deadline; returns false on timeout.
bool wait_until(const std::function<bool()>& cond, std::chrono::milliseconds timeout,
                std::chrono::milliseconds step = std::chrono::milliseconds(10));

std::string unique_id(const std::string& prefix);
std::string read_text(const std::string& path);
void write_text(const std::string& path, const std::string& text);

// Command output as lines: every line, or only the non-empty ones; and its first line.
std::vector<std::string> lines(const std::string& s);
std::vector<std::string> nonempty_lines(const std::string& s);
std::string first_line(const std::string& s);
// The threads of a process (/proc/<pid>/task).
int thread_count(pid_t pid);

}  // namespace berth::test
