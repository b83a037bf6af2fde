// Router matching (path parameters, greedy image names, 405 vs 404) and dockerd's version rules.
#include <gtest/gtest.h>

#include "api/api_version.hpp"
#include "api/connection.hpp"
#include "api/router.hpp"

using namespace berth;
using namespace berth::api;

namespace {

Router test_router(std::string& hit) {
  Router r;
  auto h = [&hit](std::string name) { return [&hit, name](Exchange&) -> Result<> { hit = name; return {}; }; };
  r.add("GET", "/images/json", h("list"));
  r.add("GET", "/images/{name*}/json", h("inspect"));
  r.add("DELETE", "/images/{name*}", h("delete"));
  r.add("POST", "/containers/{id}/start", h("start"));
  return r;
}

}  // namespace

TEST(Router, FixedPathBeatsLaterPattern) {
  std::string hit;
  auto r = test_router(hit);
  auto m = r.match("GET", "/images/json");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_TRUE(m.params.empty());
}

TEST(Router, GreedyParameterTakesSlashes) {
  std::string hit;
  auto r = test_router(hit);
  auto m = r.match("GET", "/images/127.0.0.1:5000/x/y:1/json");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(m.params["name"], "127.0.0.1:5000/x/y:1");
  // Longest match: an image whose last path component is "json".
  m = r.match("GET", "/images/a/json/json");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(m.params["name"], "a/json");
  m = r.match("DELETE", "/images/library/busybox");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(m.params["name"], "library/busybox");
}

TEST(Router, SingleSegmentParameter) {
  std::string hit;
  auto r = test_router(hit);
  auto m = r.match("POST", "/containers/abc/start");
  ASSERT_NE(m.handler, nullptr);
  EXPECT_EQ(m.params["id"], "abc");
  EXPECT_EQ(r.match("POST", "/containers/a/b/start").handler, nullptr);
  EXPECT_EQ(r.match("POST", "/containers//start").handler, nullptr);
}

TEST(Router, UnknownPathAndWrongMethod) {
  std::string hit;
  auto r = test_router(hit);
  auto m = r.match("GET", "/nope");
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_FALSE(m.path_known);
  m = r.match("PUT", "/images/json");
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_TRUE(m.path_known);
}

TEST(ApiVersion, CompareIsNumeric) {
  EXPECT_LT(compare_versions("1.9", "1.10"), 0);
  EXPECT_EQ(compare_versions("1.41", "1.41.0"), 0);
  EXPECT_GT(compare_versions("1.50", "1.41"), 0);
  EXPECT_LT(compare_versions("1", "1.1"), 0);
}

TEST(ApiVersion, SplitPrefix) {
  auto v = split_version("/v1.43/images/json");
  EXPECT_EQ(v.version, "1.43");
  EXPECT_EQ(v.path, "/images/json");
  v = split_version("/_ping");
  EXPECT_EQ(v.version, "");
  EXPECT_EQ(v.path, "/_ping");
  v = split_version("/volumes/x");  // 'v' then letters: not a version
  EXPECT_EQ(v.version, "");
  EXPECT_EQ(v.path, "/volumes/x");
  v = split_version("/v1.41");  // no path after the version
  EXPECT_EQ(v.version, "");
}

TEST(ApiVersion, RangeAndDockerdMessages) {
  EXPECT_EQ(*negotiate_version(""), std::string(kMaxApiVersion));
  EXPECT_EQ(*negotiate_version("1.41"), "1.41");
  EXPECT_EQ(*negotiate_version("1.50"), "1.50");
  auto old = negotiate_version("1.40");
  ASSERT_FALSE(old);
  EXPECT_EQ(old.error().http_status(), 400);
  EXPECT_EQ(old.error().message,
            "client version 1.40 is too old. Minimum supported API version is 1.41, please upgrade your client to a "
            "newer version");
  auto neu = negotiate_version("1.51");
  ASSERT_FALSE(neu);
  EXPECT_EQ(neu.error().http_status(), 400);
  EXPECT_EQ(neu.error().message, "client version 1.51 is too new. Maximum supported API version is 1.50");
}

TEST(Target, DecodesPathAndQuery) {
  std::string path;
  std::multimap<std::string, std::string> q;
  parse_target("/images/a%2Fb/json?filters=%7B%22x%22%3A1%7D&names=a&names=b+c&flag", path, q);
  EXPECT_EQ(path, "/images/a/b/json");
  EXPECT_EQ(q.find("filters")->second, "{\"x\":1}");
  EXPECT_EQ(q.count("names"), 2u);
  auto [b, e] = q.equal_range("names");
  EXPECT_EQ(std::next(b)->second, "b c");
  EXPECT_EQ(q.find("flag")->second, "");
  EXPECT_EQ(url_decode("%zz%4", false), "%zz%4");  // malformed escapes stay as they are
}
