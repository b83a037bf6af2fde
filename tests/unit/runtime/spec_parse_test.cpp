// config.json parsing: defaults, every error names its field, and runc's defaults round-trip.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "runtime/process/mount_flags.hpp"
#include "runtime/spec/spec.hpp"

using namespace berth;
using namespace berth::runtime;
using nlohmann::json;

namespace {

json minimal() {
  return {{"ociVersion", "1.2.0"},
          {"root", {{"path", "rootfs"}}},
          {"process", {{"args", {"sh"}}, {"cwd", "/"}}},
          {"linux", {{"namespaces", {{{"type", "pid"}}, {{"type", "mount"}}}}}}};
}

std::string error_of(const json& j) {
  auto r = parse_spec(j.dump(), "/bundle");
  return r ? "" : r.error().message;
}

}  // namespace

TEST(SpecParse, MinimalConfigAndDefaults) {
  auto s = parse_spec(minimal().dump(), "/bundle");
  ASSERT_TRUE(s) << s.error().what();
  EXPECT_EQ(s->root_path, "/bundle/rootfs");
  EXPECT_FALSE(s->root_readonly);
  ASSERT_TRUE(s->process);
  EXPECT_EQ(s->process->cwd, "/");
  EXPECT_EQ(s->process->user.uid, 0u);
  EXPECT_NE(s->linux.find(NsType::Pid), nullptr);
  EXPECT_EQ(s->linux.find(NsType::Network), nullptr);
}

TEST(SpecParse, DefaultSpecParses) {
  auto s = parse_spec(default_spec(false).dump(), "/b");
  ASSERT_TRUE(s) << s.error().what();
  EXPECT_EQ(s->mounts.size(), 7u);
  EXPECT_EQ(s->process->rlimits.at(0).resource, RLIMIT_NOFILE);
  auto r = parse_spec(default_spec(true).dump(), "/b");
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_NE(r->linux.find(NsType::User), nullptr);
}

TEST(SpecParse, ErrorsNameTheField) {
  json j = minimal();
  j.erase("ociVersion");
  EXPECT_EQ(error_of(j), "config.json: ociVersion: required field is missing");
  j = minimal();
  j["process"]["args"] = "sh";
  EXPECT_EQ(error_of(j), "config.json: process.args: expected array of strings, got string");
  j = minimal();
  j["process"]["args"] = {"sh", 3};
  EXPECT_EQ(error_of(j), "config.json: process.args[1]: expected string, got number");
  j = minimal();
  j["linux"]["namespaces"].push_back({{"type", "bogus"}});
  EXPECT_EQ(error_of(j), "config.json: linux.namespaces[2].type: unknown namespace type \"bogus\"");
  j = minimal();
  j["linux"]["namespaces"].push_back({{"type", "pid"}});
  EXPECT_NE(error_of(j).find("listed twice"), std::string::npos);
  j = minimal();
  j["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 10}, {"hard", 5}}};
  EXPECT_NE(error_of(j).find("soft limit is greater than the hard limit"), std::string::npos);
  j = minimal();
  j["process"]["user"] = {{"uid", -1}};
  EXPECT_EQ(error_of(j), "config.json: process.user.uid: must not be negative");
  j = minimal();
  j["process"]["cwd"] = "relative";
  EXPECT_NE(error_of(j).find("process.cwd: must be an absolute path"), std::string::npos);
  j = minimal();
  j["hostname"] = "h";
  EXPECT_NE(error_of(j).find("needs a new uts namespace"), std::string::npos);
  j = minimal();
  j["linux"]["namespaces"].push_back({{"type", "user"}});
  EXPECT_NE(error_of(j).find("needs linux.uidMappings"), std::string::npos);
  j = minimal();
  j["linux"]["devices"] = {{{"path", "/dev/x"}, {"type", "q"}, {"major", 1}, {"minor", 1}}};
  EXPECT_NE(error_of(j).find("linux.devices[0].type: must be one of c, b, u, p"), std::string::npos);
  j = minimal();
  j["hooks"] = {{"prestart", {{{"path", "relative/hook"}}}}};
  EXPECT_NE(error_of(j).find("hooks.prestart[0].path: must be an absolute path"), std::string::npos);
  EXPECT_NE(error_of(json::array()).find("expected object"), std::string::npos);
  auto bad = parse_spec("{not json", "/b");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("config.json: invalid JSON"), std::string::npos);
}

TEST(SpecParse, UnknownPropertiesAreIgnored) {
  json j = minimal();
  j["somethingNew"] = {{"x", 1}};
  j["process"]["futureField"] = true;
  EXPECT_EQ(error_of(j), "");
}

TEST(MountOptions, FlagsPropagationAndData) {
  auto f = parse_mount_options({"rbind", "ro", "nosuid", "rprivate", "mode=755", "size=1m"});
  EXPECT_TRUE(f.bind);
  EXPECT_TRUE(f.recursive);
  EXPECT_EQ(f.set, static_cast<unsigned long>(MS_RDONLY | MS_NOSUID));
  EXPECT_EQ(f.propagation, static_cast<unsigned long>(MS_PRIVATE | MS_REC));
  EXPECT_EQ(f.data, "mode=755,size=1m");
  auto g = parse_mount_options({"ro", "rw", "exec"});
  EXPECT_EQ(g.set, 0ul);
  EXPECT_EQ(g.clear, static_cast<unsigned long>(MS_RDONLY | MS_NOEXEC));
}

