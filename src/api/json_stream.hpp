// dockerd's JSON message stream (pull, push, load, import): one JSON object per line, started
// lazily so that a failure before the first message is still an HTTP error status, and an
// error after it is an {"errorDetail": ...} line, which the docker client prints and exits 1 on.
#pragma once
#include <cstdint>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "api/http.hpp"
#include "common/error.hpp"

namespace berth::api {

class JsonStream {
 public:
  explicit JsonStream(Exchange& ex) : ex_(ex) {}
  // Thread-safe: progress arrives from download threads. False once the client is gone.
  bool send(const nlohmann::json& msg);
  bool status(const std::string& status, const std::string& id = "");
  bool progress(const std::string& id, const std::string& status, uint64_t current, uint64_t total);
  // Answers err: as an HTTP error when nothing was streamed yet, else as an error line.
  Result<> finish(const Result<>& outcome);
  bool started() const { return started_; }

 private:
  Exchange& ex_;
  std::mutex mu_;
  bool started_ = false, broken_ = false;
};

// Docker's text progress bar: "[=====>      ]  1.2MB/3.4MB".
std::string progress_bar(uint64_t current, uint64_t total);
std::string human_size(double bytes);  // "1.2MB" in Docker's units (powers of 1000)

}  // namespace berth::api
