// daemon.json: each of dockerd's keys, and each way a configuration is refused (naming the key).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/daemon_config.hpp"

using namespace berth::engine;
using nlohmann::json;

namespace {

std::string error_of(std::string_view file, const json& flags = json::object()) {
  auto c = load_daemon_config(file, flags);
  return c ? "" : c.error().what();
}

}  // namespace

TEST(DaemonConfig, DefaultsWithoutFile) {
  auto c = load_daemon_config("", json::object());
  ASSERT_TRUE(c);
  EXPECT_EQ(c->data_root, "/var/lib/berth");
  EXPECT_EQ(c->exec_root, "/run/berth");
  EXPECT_EQ(c->effective_hosts(), std::vector<std::string>{"unix:///run/berth/berthd.sock"});
  EXPECT_EQ(c->effective_pidfile(), "/run/berth/berthd.pid");
  EXPECT_EQ(c->storage_driver, "overlay2");
  EXPECT_EQ(c->default_runtime, "berth");
}

TEST(DaemonConfig, EveryKeyIsRead) {
  auto c = load_daemon_config(R"({
    "data-root": "/d", "exec-root": "/e", "hosts": ["unix:///e/a.sock", "tcp://127.0.0.1:2375"],
    "pidfile": "/e/p", "group": "staff", "debug": true, "log-level": "warn", "log-driver": "local",
    "log-opts": {"max-size": "20m", "max-file": "5"},
    "default-ulimits": {"nofile": {"Name": "nofile", "Soft": 1024, "Hard": 4096}},
    "default-runtime": "runc", "runtimes": {"runc": {"path": "/usr/bin/runc", "runtimeArgs": ["--debug"]}},
    "live-restore": true, "insecure-registries": ["10.0.0.1:5000"], "registry-mirrors": ["http://m"],
    "storage-driver": "overlay2", "tls": true, "tlsverify": true, "tlscacert": "/ca", "tlscert": "/c", "tlskey": "/k"
  })", json::object());
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->data_root, "/d");
  EXPECT_EQ(c->hosts.size(), 2u);
  EXPECT_EQ(c->effective_pidfile(), "/e/p");
  EXPECT_TRUE(c->debug);
  EXPECT_EQ(c->log_level, "warn");
  EXPECT_EQ(c->log_driver, "local");
  EXPECT_EQ(c->log_opts.at("max-file"), "5");
  EXPECT_EQ(c->default_ulimits.at("nofile").hard, 4096);
  EXPECT_EQ(c->runtimes.at("runc").args, std::vector<std::string>{"--debug"});
  EXPECT_EQ(c->insecure_registries[0], "10.0.0.1:5000");
  EXPECT_TRUE(c->tlsverify);
  EXPECT_EQ(c->tlskey, "/k");
}

TEST(DaemonConfig, FlagsApplyOnTopOfFile) {
  auto c = load_daemon_config(R"({"debug": true})", json{{"data-root", "/x"}});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->data_root, "/x");
  EXPECT_TRUE(c->debug);
  EXPECT_EQ(c->effective_hosts(), std::vector<std::string>{"unix:///run/berth/berthd.sock"});
}

TEST(DaemonConfig, UnknownKeyIsNamed) {
  EXPECT_EQ(error_of(R"({"data-root": "/d", "bogus-key": 1})"),
            "invalid daemon configuration: bogus-key: unknown configuration key");
}

TEST(DaemonConfig, WrongTypesAreNamed) {
  EXPECT_EQ(error_of(R"({"debug": "yes"})"), "invalid daemon configuration: debug: expected a boolean, got string");
  EXPECT_EQ(error_of(R"({"hosts": "unix:///x"})"),
            "invalid daemon configuration: hosts: expected an array of strings, got string");
  EXPECT_EQ(error_of(R"({"hosts": [1]})"), "invalid daemon configuration: hosts[]: expected a string, got number");
  EXPECT_EQ(error_of(R"({"log-opts": {"max-size": 10}})"),
            "invalid daemon configuration: log-opts.max-size: expected a string, got number");
  EXPECT_EQ(error_of(R"({"default-ulimits": {"nofile": {"Soft": "x"}}})"),
            "invalid daemon configuration: default-ulimits.nofile.Soft: expected an integer, got string");
  EXPECT_EQ(error_of(R"({"runtimes": {"runc": {"path": "/r", "extra": 1}}})"),
            "invalid daemon configuration: runtimes.runc.extra: unknown field");
  EXPECT_EQ(error_of(R"({"runtimes": {"runc": {}}})"), "invalid daemon configuration: runtimes.runc.path: required");
}

TEST(DaemonConfig, BadValuesAreNamed) {
  EXPECT_EQ(error_of(R"({"storage-driver": "vfs"})"),
            "invalid daemon configuration: storage-driver: storage driver \"vfs\" is not supported: berth stores "
            "images and containers on overlay2 only");
  EXPECT_NE(error_of(R"({"log-level": "chatty"})").find("log-level: unsupported value \"chatty\""), std::string::npos);
  EXPECT_NE(error_of(R"({"log-driver": "syslog"})").find("log-driver: unsupported value \"syslog\""), std::string::npos);
  EXPECT_EQ(error_of(R"({"default-runtime": "crun"})"),
            "invalid daemon configuration: default-runtime: runtime \"crun\" is not defined in \"runtimes\"");
  EXPECT_NE(error_of(R"({"data-root": "relative"})").find("data-root: must be an absolute path"), std::string::npos);
  EXPECT_NE(error_of(R"({"default-ulimits": {"nofile": {"Soft": 10, "Hard": 5}}})").find("soft limit is above"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"runtimes": {"berth": {"path": "/x"}}})").find("built-in runtime"), std::string::npos);
  EXPECT_NE(error_of(R"({"resolv-conf": "etc/resolv.conf"})").find("resolv-conf: must be an absolute path"),
            std::string::npos);
}

TEST(DaemonConfig, ResolvConfIsBerthsExtension) {
  auto d = load_daemon_config("", json::object());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->resolv_conf, "/etc/resolv.conf");
  auto c = load_daemon_config(R"({"resolv-conf": "/run/test/resolv.conf"})", json::object());
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->resolv_conf, "/run/test/resolv.conf");
}

TEST(DaemonConfig, UsernsRemapFromFileOrFlagNotBoth) {
  auto c = load_daemon_config(R"({"userns-remap": "default"})", json::object());
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->userns_remap, "default");
  EXPECT_FALSE(c->remap) << "resolved by berthd at its start, not by the loader";
  auto f = load_daemon_config("", json{{"userns-remap", "1000:1000"}});
  ASSERT_TRUE(f) << f.error().what();
  EXPECT_EQ(f->userns_remap, "1000:1000");
  EXPECT_FALSE(load_daemon_config(R"({"userns-remap": "default"})", json{{"userns-remap", "default"}}));
  EXPECT_NE(error_of(R"({"userns-remap": true})").find("userns-remap: expected a string"), std::string::npos);
}

TEST(DaemonConfig, MalformedOrNotAnObject) {
  EXPECT_NE(error_of("{\"debug\": true,").find("daemon configuration: invalid JSON"), std::string::npos);
  EXPECT_NE(error_of("[1, 2]").find("daemon configuration: expected object"), std::string::npos);
}

TEST(DaemonConfig, FlagAndFileConflict) {
  auto e = error_of(R"({"data-root": "/a"})", json{{"data-root", "/b"}});
  EXPECT_EQ(e, "the following directives are specified both as a flag and in the configuration file: data-root: "
               "(from flag: \"/b\", from file: \"/a\")");
}

TEST(DaemonConfig, FlagsAreCheckedToo) {
  EXPECT_NE(error_of("", json{{"storage-driver", "btrfs"}}).find("storage-driver"), std::string::npos);
}

TEST(DaemonConfig, MissingFileOnlyFailsWhenNamed) {
  auto t = read_daemon_json("/nonexistent/daemon.json", false);
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, "");
  auto r = read_daemon_json("/nonexistent/daemon.json", true);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find("read daemon configuration /nonexistent/daemon.json"), std::string::npos);
}
