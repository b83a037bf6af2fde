// dockerd's JSON message stream: lazily started so that an early failure is still an HTTP
// error, an error line after that, and progress lines shaped as the docker client reads them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/json_stream.hpp"

using namespace berth;
using namespace berth::api;

namespace {

// An Exchange that records what the handler answered (our own interface, not a peer).
class Recorder final : public Exchange {
 public:
  Request& request() override { return req; }
  Result<std::string> read_body(size_t) override { return std::string(); }
  Result<size_t> read_body_some(char*, size_t) override { return size_t{0}; }
  Result<> reply(int s, std::string_view ct, std::string_view b, const std::map<std::string, std::string>&) override {
    status = s;
    content_type = ct;
    body = b;
    replied = true;
    return {};
  }
  Result<> start_stream(int s, std::string_view ct) override {
    status = s;
    content_type = ct;
    streaming = true;
    return {};
  }
  Result<> write(std::string_view d) override {
    if (fail_writes) return fail(ErrorKind::Unavailable, "client gone");
    body += d;
    return {};
  }
  Result<> finish_stream() override {
    finished = true;
    return {};
  }
  bool responded() const override { return replied || streaming; }
  WaitResult wait(int, int) override { return WaitResult::Timeout; }
  Result<Hijacked> hijack(std::string_view) override { return fail(ErrorKind::Internal, "no"); }

  Request req;
  int status = 0;
  std::string content_type, body;
  bool replied = false, streaming = false, finished = false, fail_writes = false;
};

std::vector<nlohmann::json> messages(const std::string& body) {
  std::vector<nlohmann::json> out;
  size_t pos = 0, nl;
  while ((nl = body.find('\n', pos)) != std::string::npos) {
    out.push_back(nlohmann::json::parse(body.substr(pos, nl - pos)));
    pos = nl + 1;
  }
  return out;
}

}  // namespace

TEST(JsonStream, ErrorBeforeAnyMessageIsAnHttpError) {
  Recorder ex;
  JsonStream s(ex);
  ASSERT_TRUE(s.finish(fail(ErrorKind::NotFound, "manifest unknown")));
  EXPECT_TRUE(ex.replied);
  EXPECT_FALSE(ex.streaming);
  EXPECT_EQ(ex.status, 404);
  EXPECT_EQ(ex.body, "{\"message\":\"manifest unknown\"}\n");
}

TEST(JsonStream, ErrorAfterProgressIsAnErrorLine) {
  Recorder ex;
  JsonStream s(ex);
  EXPECT_TRUE(s.status("Pulling from library/busybox", "latest"));
  ASSERT_TRUE(s.finish(fail(ErrorKind::Unavailable, "connection reset")));
  EXPECT_TRUE(ex.streaming);
  EXPECT_TRUE(ex.finished);
  EXPECT_EQ(ex.status, 200);
  EXPECT_EQ(ex.content_type, "application/json");
  auto m = messages(ex.body);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0], (nlohmann::json{{"status", "Pulling from library/busybox"}, {"id", "latest"}}));
  EXPECT_EQ(m[1]["error"], "connection reset");
  EXPECT_EQ(m[1]["errorDetail"]["message"], "connection reset");
}

TEST(JsonStream, ProgressLines) {
  Recorder ex;
  JsonStream s(ex);
  s.progress("abc", "Pulling fs layer", 0, 0);
  s.progress("abc", "Downloading", 1000, 4000);
  ASSERT_TRUE(s.finish({}));
  auto m = messages(ex.body);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0]["progressDetail"], nlohmann::json::object());
  EXPECT_FALSE(m[0].contains("progress"));
  EXPECT_EQ(m[1]["progressDetail"], (nlohmann::json{{"current", 1000}, {"total", 4000}}));
  EXPECT_EQ(m[1]["progress"], "[============>                                      ] 1kB/4kB");
  EXPECT_TRUE(ex.finished);
}

TEST(JsonStream, NothingStreamedIsAnEmpty200) {
  Recorder ex;
  JsonStream s(ex);
  ASSERT_TRUE(s.finish({}));
  EXPECT_TRUE(ex.replied);
  EXPECT_EQ(ex.status, 200);
}

TEST(JsonStream, GoneClientStopsTheProducer) {
  Recorder ex;
  ex.fail_writes = true;
  JsonStream s(ex);
  EXPECT_FALSE(s.status("x"));  // a pull's progress callback returns this to cancel
  EXPECT_FALSE(s.status("y"));
}

TEST(JsonStream, Units) {
  EXPECT_EQ(human_size(0), "0B");
  EXPECT_EQ(human_size(999), "999B");
  EXPECT_EQ(human_size(1986560), "1.99MB");
  EXPECT_EQ(human_size(3.5e9), "3.5GB");
  EXPECT_EQ(progress_bar(5, 0), "5B");
}
