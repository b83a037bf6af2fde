#include "progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <vector>

namespace berth::cli {

namespace {

class Renderer {
 public:
  Renderer(bool tty, bool quiet) : tty_(tty), quiet_(quiet) {}

  void show(const nlohmann::json& m) {
    if (m.contains("error")) {
      error_ = m["error"].is_string() ? m["error"].get<std::string>() : m["error"].dump();
      return;
    }
    if (m.contains("stream") && m["stream"].is_string()) {
      if (!quiet_) std::fputs(m["stream"].get<std::string>().c_str(), stdout);
      return;
    }
    if (quiet_ || !m.contains("status") || !m["status"].is_string()) return;
    std::string id = m.value("id", "");
    std::string line = (id.empty() ? "" : id + ": ") + m["status"].get<std::string>();
    bool has_bar = m.contains("progress") && m["progress"].is_string();
    if (id.empty() || !tty_) {
      // Plain output: one line per change of a layer's status, not per byte count.
      if (!tty_ && !id.empty()) {
        auto& last = last_status_[id];
        if (last == m["status"]) return;
        last = m["status"].get<std::string>();
      }
      std::printf("%s\n", line.c_str());
      std::fflush(stdout);
      return;
    }
    if (has_bar) line += " " + m["progress"].get<std::string>();
    auto it = std::find(ids_.begin(), ids_.end(), id);
    if (it == ids_.end()) {
      ids_.push_back(id);
      std::printf("%s\n", line.c_str());
    } else {
      size_t up = ids_.end() - it;
      // Up to the layer's line, clear it, rewrite, and back down.
      std::printf("\033[%zuA\r\033[2K%s\033[%zuB\r", up, line.c_str(), up);
    }
    std::fflush(stdout);
  }
  const std::string& error() const { return error_; }

 private:
  bool tty_, quiet_;
  std::vector<std::string> ids_;
  std::map<std::string, std::string> last_status_;
  std::string error_;
};

}  // namespace

int run_json_stream(Cli& cli, const std::string& method, const std::string& path, const api::BodySource& body,
                    const std::map<std::string, std::string>& headers, bool quiet) {
  auto* c = cli.api();
  if (!c) return cli.exit_code;
  Renderer out(isatty(1) == 1, quiet);
  std::string pending;
  auto r = c->stream(method, path, body,
                     [&](std::string_view chunk) {
                       pending.append(chunk);
                       size_t nl;
                       while ((nl = pending.find('\n')) != std::string::npos) {
                         auto m = nlohmann::json::parse(pending.substr(0, nl), nullptr, false);
                         pending.erase(0, nl + 1);
                         if (m.is_object()) out.show(m);
                       }
                       return true;
                     },
                     headers);
  if (!r) return cli.error(r.error().what());
  if (r->status < 200 || r->status >= 300) return cli.daemon_error(*r);
  if (!out.error().empty()) {
    std::fprintf(stderr, "%s\n", out.error().c_str());
    return cli.exit_code = 1;
  }
  return 0;
}

}  // namespace berth::cli
