// Log driver configuration: Docker's sizes, dockerd's option checks and wording, the merge with
// daemon.json's defaults, and where each driver keeps its file.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/log_config.hpp"

using namespace berth::engine;
using nlohmann::json;

namespace {
std::string log_error_of(const LogConfig& c) {
  auto r = validate_log_config(c);
  return r ? "" : r.error().what();
}
}  // namespace

TEST(LogConfig, SizesUseDockersDecimalUnits) {
  EXPECT_EQ(parse_log_size("10").value(), 10);
  EXPECT_EQ(parse_log_size("1k").value(), 1000);
  EXPECT_EQ(parse_log_size("1K").value(), 1000);
  EXPECT_EQ(parse_log_size("10m").value(), 10000000);
  EXPECT_EQ(parse_log_size("10MB").value(), 10000000);
  EXPECT_EQ(parse_log_size("10 MiB").value(), 10000000);
  EXPECT_EQ(parse_log_size("1.5g").value(), 1500000000);
  EXPECT_EQ(parse_log_size("2kb").value(), 2000);
  for (const char* bad : {"", "k", "ten", "10x", "1..5m", "-1", "10mm", " 10"}) {
    auto r = parse_log_size(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().what(), std::string("invalid size: '") + bad + "'");
  }
}

TEST(LogConfig, OptionsCheckedWithDockerdsWording) {
  EXPECT_EQ(log_error_of({"json-file", {{"max-size", "1k"}, {"max-file", "2"}, {"tag", "x"}}}), "");
  EXPECT_EQ(log_error_of({"json-file", {{"foo", "1"}}}), "unknown log opt 'foo' for json-file log driver");
  EXPECT_EQ(log_error_of({"local", {{"foo", "1"}}}), "unknown log opt 'foo' for log driver local");
  EXPECT_EQ(log_error_of({"syslog", {}}), "logger: no log driver named 'syslog' is registered");
  EXPECT_EQ(log_error_of({"none", {{"anything", "goes"}}}), "");
  EXPECT_EQ(log_error_of({"json-file", {{"max-size", "0"}}}), "max-size must be a positive number");
  EXPECT_EQ(log_error_of({"json-file", {{"max-size", "lots"}}}), "invalid size: 'lots'");
  EXPECT_EQ(log_error_of({"json-file", {{"max-file", "0"}}}), "max-file cannot be less than 1");
  EXPECT_EQ(log_error_of({"json-file", {{"max-file", "two"}}}), "strconv.Atoi: parsing \"two\": invalid syntax");
  EXPECT_EQ(log_error_of({"json-file", {{"mode", "fast"}}}), "logger: logging mode not supported: fast");
  EXPECT_EQ(log_error_of({"json-file", {{"compress", "maybe"}}}), "strconv.ParseBool: parsing \"maybe\": invalid syntax");
  EXPECT_NE(log_error_of({"json-file", {{"compress", "true"}}}).find("compress is not supported"), std::string::npos);
  EXPECT_EQ(log_error_of({"json-file", {{"compress", "false"}, {"max-size", "-1"}}}), "");
}

TEST(LogConfig, ResolveMergesDaemonDefaultsAndRotationDefaults) {
  // Nothing asked: the daemon's driver, its opts, then berth's 10m x 3.
  auto c = resolve_log_config(json(), "json-file", {{"max-size", "5m"}});
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->type, "json-file");
  EXPECT_EQ(c->config.at("max-size"), "5m");
  EXPECT_EQ(c->config.at("max-file"), "3");
  auto rot = rotation_of(*c);
  EXPECT_EQ(rot.max_size, 5000000);
  EXPECT_EQ(rot.max_file, 3);
  // The request wins over the daemon's opts, key by key.
  c = resolve_log_config(json{{"Type", ""}, {"Config", {{"max-size", "1k"}}}}, "json-file", {{"max-size", "5m"}, {"max-file", "7"}});
  ASSERT_TRUE(c);
  EXPECT_EQ(rotation_of(*c).max_size, 1000);
  EXPECT_EQ(rotation_of(*c).max_file, 7);
  // Another driver than the daemon's: the daemon's opts are not its own.
  c = resolve_log_config(json{{"Type", "local"}, {"Config", nullptr}}, "json-file", {{"max-size", "5m"}});
  ASSERT_TRUE(c);
  EXPECT_EQ(rotation_of(*c).max_size, 20000000);
  EXPECT_EQ(rotation_of(*c).max_file, 5);
  c = resolve_log_config(json{{"Type", "none"}}, "json-file", {});
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->config.empty());
  // Bad input names the problem.
  auto bad = resolve_log_config(json{{"Type", "json-file"}, {"Config", {{"foo", "1"}}}}, "json-file", {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().what(), "unknown log opt 'foo' for json-file log driver");
  bad = resolve_log_config(json{{"Type", 3}}, "json-file", {});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().what().find("LogConfig.Type"), std::string::npos);
  bad = resolve_log_config(json{{"Config", {{"max-size", 1}}}}, "json-file", {});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().what().find("LogConfig.Config.max-size"), std::string::npos);
}

TEST(LogConfig, FilesPerDriverAndJsonRoundTrip) {
  auto j = log_file_for({"json-file", {}}, "/d", "abc");
  ASSERT_TRUE(j);
  EXPECT_EQ(j->path, "/d/abc-json.log");
  EXPECT_EQ(j->format, LogFormat::JsonFile);
  auto l = log_file_for({"local", {}}, "/d", "abc");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->path, "/d/local-logs/container.log");
  EXPECT_EQ(l->format, LogFormat::Local);
  EXPECT_FALSE(log_file_for({"none", {}}, "/d", "abc"));
  LogConfig c{"local", {{"max-file", "2"}}};
  auto back = log_config_from_json(log_config_json(c));
  EXPECT_EQ(back.type, "local");
  EXPECT_EQ(back.config, c.config);
  EXPECT_EQ(log_config_from_json(json()).type, "json-file");  // containers from before drivers
}
