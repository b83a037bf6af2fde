// Bad requests get dockerd's status and wording, and change nothing.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/berthd_fixture.hpp"
#include "api/busybox_archive.hpp"

using namespace berth::api::test;

namespace {

class BadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(busybox_archive().empty());
    ASSERT_TRUE(d.ready()) << d.log();
    ASSERT_EQ(d.docker({"load", "-i", busybox_archive()}).status, 0);
    before = images();
  }
  // The whole image list as the API returns it: what must not change.
  std::string images() { return raw_request(d.socket_path(), "GET", "/v1.50/images/json").body; }
  void expect_error(const RawResponse& r, int status, const std::string& message) {
    EXPECT_EQ(r.status, status) << r.head << "\n" << r.body;
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.body;
    EXPECT_EQ(j["message"], message) << r.body;
    EXPECT_EQ(images(), before);
  }
  Berthd d;
  std::string before;
};

}  // namespace

TEST_F(BadInput, UnknownImage) {
  expect_error(raw_request(d.socket_path(), "GET", "/v1.50/images/nope/json"), 404, "No such image: nope:latest");
  expect_error(raw_request(d.socket_path(), "GET", "/v1.50/images/nope/history"), 404, "No such image: nope:latest");
  expect_error(raw_request(d.socket_path(), "DELETE", "/v1.50/images/nope"), 404, "No such image: nope:latest");
  expect_error(raw_request(d.socket_path(), "POST", "/v1.50/images/nope/tag?repo=x&tag=1"), 404,
               "No such image: nope:latest");
  expect_error(raw_request(d.socket_path(), "GET", "/v1.50/images/get?names=nope"), 404, "No such image: nope:latest");
  auto r = d.docker({"rmi", "nope"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("Error response from daemon: No such image: nope:latest"), std::string::npos) << r.err;
  auto i = d.docker({"inspect", "nope"});
  EXPECT_EQ(i.status, 1);
  EXPECT_NE(i.err.find("No such object: nope"), std::string::npos) << i.err;
}

TEST_F(BadInput, BadReference) {
  auto r = raw_request(d.socket_path(), "POST", "/v1.50/images/busybox/tag?repo=Bad_Repo&tag=1");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(images(), before);
  r = raw_request(d.socket_path(), "POST", "/v1.50/images/busybox/tag?repo=ok&tag=bad%20tag");
  EXPECT_EQ(r.status, 400) << r.body;
  r = raw_request(d.socket_path(), "POST", "/v1.50/images/create?fromImage=UPPER&tag=1");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(images(), before);
}

TEST_F(BadInput, MalformedJsonBody) {
  auto r = raw_request(d.socket_path(), "POST", "/v1.50/auth", "{\"username\": ");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("invalid JSON"), std::string::npos) << r.body;
  r = raw_request(d.socket_path(), "POST", "/v1.50/auth", "{\"username\": 5}");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("username: expected string"), std::string::npos) << r.body;
  EXPECT_EQ(images(), before);
}

TEST_F(BadInput, BadFilters) {
  expect_error(raw_request(d.socket_path(), "GET", "/v1.50/images/json?filters=%7B%22colour%22%3A%5B%22red%22%5D%7D"),
               400, "invalid filter 'colour'");
  auto r = raw_request(d.socket_path(), "GET", "/v1.50/events?filters=%7Bnope");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(r.body.starts_with("{\"message\":\"filters: invalid JSON: parse error at line 1, column 3")) << r.body;
}

TEST_F(BadInput, EventsSinceAfterUntil) {
  expect_error(raw_request(d.socket_path(), "GET", "/v1.50/events?since=2000000000&until=1000000000"), 400,
               "`since` time (2000000000) cannot be after `until` time (1000000000)");
  auto r = raw_request(d.socket_path(), "GET", "/v1.50/events?since=yesterday");
  EXPECT_EQ(r.status, 400) << r.body;
}

TEST_F(BadInput, UnsupportedApiVersion) {
  expect_error(raw_request(d.socket_path(), "GET", "/v1.40/version"), 400,
               "client version 1.40 is too old. Minimum supported API version is 1.41, please upgrade your client "
               "to a newer version");
  expect_error(raw_request(d.socket_path(), "GET", "/v1.51/images/json"), 400,
               "client version 1.51 is too new. Maximum supported API version is 1.50");
  auto r = berth::test::run({"env", "DOCKER_API_VERSION=1.12", kDocker28, "-H", d.host(), "images"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("client version 1.12 is too old"), std::string::npos) << r.err;
}

TEST_F(BadInput, GarbageArchiveLoadsNothing) {
  auto r = raw_request(d.socket_path(), "POST", "/v1.50/images/load", std::string(100000, 'x'), "application/x-tar");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(images(), before);
  auto dir = d.path("data/content");
  // No blob was left behind by the failed load: only the busybox image's blobs exist.
  auto blobs = berth::test::sh("find " + dir + " -type f | wc -l").out;
  auto r2 = raw_request(d.socket_path(), "POST", "/v1.50/images/load", "", "application/x-tar");
  EXPECT_EQ(r2.status, 400) << r2.body;
  EXPECT_EQ(berth::test::sh("find " + dir + " -type f | wc -l").out, blobs);
}

TEST_F(BadInput, GarbageImportImportsNothing) {
  auto blobs = berth::test::sh("find " + d.path("data/content") + " -type f | wc -l").out;
  auto r = raw_request(d.socket_path(), "POST", "/v1.50/images/create?fromSrc=-&repo=junk&tag=1",
                       "this is not a tar archive", "application/x-tar");
  EXPECT_GE(r.status, 400) << r.body;
  EXPECT_EQ(images(), before);
  EXPECT_EQ(berth::test::sh("find " + d.path("data/content") + " -type f | wc -l").out, blobs);
  EXPECT_EQ(berth::test::sh("ls -A " + d.path("data/tmp")).out, "");  // the spooled body is gone
  auto c = raw_request(d.socket_path(), "POST", "/v1.50/images/create?fromSrc=-&changes=CMD%20sh", "x");
  EXPECT_EQ(c.status, 400) << c.body;
  EXPECT_NE(c.body.find("--change is not supported yet"), std::string::npos) << c.body;
}

TEST_F(BadInput, SearchIsAClearError) {
  auto r = d.docker({"search", "busybox"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("berth has no image index to search"), std::string::npos) << r.err;
}

TEST_F(BadInput, UnknownRoute) {
  expect_error(raw_request(d.socket_path(), "GET", "/v1.50/nothing/here"), 404, "page not found");
}
