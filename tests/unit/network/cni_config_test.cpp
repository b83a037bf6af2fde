#include "network/cni_config.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace berth;
using namespace berth::network;

namespace {

constexpr const char* kList = R"({
  "cniVersion": "1.0.0", "name": "k8s-pod-network",
  "plugins": [
    {"type": "bridge", "bridge": "cni0", "ipam": {"type": "host-local", "subnet": "10.22.0.0/16"}},
    {"type": "portmap", "capabilities": {"portMappings": true, "dns": false}}
  ]})";

std::string error_of(const Result<CniNetworkList>& r) { return r ? "(no error)" : r.error().what(); }

class CniConfDir : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-cniconf-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  void put(const std::string& name, const std::string& text) { std::ofstream(dir + "/" + name) << text; }
  std::string dir;
};

}  // namespace

TEST(CniConfig, ParsesAList) {
  auto r = parse_cni_conflist(kList, "/x/10-pod.conflist");
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->name, "k8s-pod-network");
  EXPECT_EQ(r->cni_version, "1.0.0");
  EXPECT_FALSE(r->disable_check);
  ASSERT_EQ(r->plugins.size(), 2u);
  EXPECT_EQ(r->plugins[0].type, "bridge");
  EXPECT_EQ(r->plugins[0].conf["bridge"], "cni0");
  EXPECT_TRUE(r->plugins[0].capabilities.empty());
  EXPECT_EQ(r->plugins[1].capabilities, std::vector<std::string>{"portMappings"}) << "only capabilities set to true";
  EXPECT_EQ(r->source, "/x/10-pod.conflist");
}

TEST(CniConfig, DisableCheckAsBooleanOrString) {
  auto b = parse_cni_conflist(R"({"cniVersion":"0.4.0","name":"n","disableCheck":true,"plugins":[{"type":"loopback"}]})", "f");
  ASSERT_TRUE(b) << b.error().what();
  EXPECT_TRUE(b->disable_check);
  auto s = parse_cni_conflist(R"({"cniVersion":"0.4.0","name":"n","disableCheck":"true","plugins":[{"type":"loopback"}]})", "f");
  ASSERT_TRUE(s) << s.error().what();
  EXPECT_TRUE(s->disable_check);
  auto bad = parse_cni_conflist(R"({"cniVersion":"0.4.0","name":"n","disableCheck":"yes","plugins":[{"type":"loopback"}]})", "f");
  EXPECT_NE(error_of(bad).find("disableCheck"), std::string::npos) << error_of(bad);
}

TEST(CniConfig, ASingleConfIsWrappedIntoAList) {
  auto r = parse_cni_conf(R"({"cniVersion":"0.3.1","name":"lo","type":"loopback"})", "/x/99-lo.conf");
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->name, "lo");
  ASSERT_EQ(r->plugins.size(), 1u);
  EXPECT_EQ(r->plugins[0].type, "loopback");
}

TEST(CniConfig, AListInAConfFileIsRefused) {
  auto r = parse_cni_conf(kList, "/x/10-pod.conf");
  EXPECT_NE(error_of(r).find("/x/10-pod.conf: type: missing"), std::string::npos) << error_of(r);
}

TEST(CniConfig, ErrorsNameTheFileAndTheField) {
  struct Case {
    const char* text;
    const char* expect;
  } cases[] = {
      {"{", "cni config f.conflist: invalid JSON"},
      {"[]", "f.conflist: top level: expected object, got array"},
      {R"({"cniVersion":"1.0.0","plugins":[{"type":"bridge"}]})", "f.conflist: name: missing"},
      {R"({"cniVersion":"1.0.0","name":7,"plugins":[{"type":"bridge"}]})", "f.conflist: name: expected string, got number"},
      {R"({"cniVersion":"1.0.0","name":"-bad","plugins":[{"type":"bridge"}]})", "f.conflist: name: \"-bad\" must start"},
      {R"({"cniVersion":"1.0.0","name":"a/b","plugins":[{"type":"bridge"}]})", "f.conflist: name: \"a/b\""},
      {R"({"name":"n","plugins":[{"type":"bridge"}]})", "f.conflist: cniVersion: missing"},
      {R"({"cniVersion":"0.2.0","name":"n","plugins":[{"type":"bridge"}]})", "f.conflist: cniVersion: \"0.2.0\" is not supported"},
      {R"({"cniVersion":"1.0.0","name":"n"})", "f.conflist: plugins: missing"},
      {R"({"cniVersion":"1.0.0","name":"n","plugins":{}})", "f.conflist: plugins: expected array, got object"},
      {R"({"cniVersion":"1.0.0","name":"n","plugins":[]})", "f.conflist: plugins: the list is empty"},
      {R"({"cniVersion":"1.0.0","name":"n","plugins":["bridge"]})", "f.conflist: plugins[0]: expected object, got string"},
      {R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"bridge"},{}]})", "f.conflist: plugins[1].type: missing"},
      {R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":""}]})", "f.conflist: plugins[0].type: must not be empty"},
      {R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"bridge","capabilities":{"portMappings":"yes"}}]})",
       "f.conflist: plugins[0].capabilities.portMappings: expected boolean, got string"},
  };
  for (const auto& c : cases) {
    auto r = parse_cni_conflist(c.text, "f.conflist");
    EXPECT_NE(error_of(r).find(c.expect), std::string::npos) << c.text << "\n  -> " << error_of(r);
    if (!r) {
      EXPECT_EQ(r.error().kind, ErrorKind::Invalid);
    }
  }
}

// The type is looked up in the plugin directories: a path would run any binary on the host.
TEST(CniConfig, PluginTypesThatArePathsAreRefused) {
  for (const char* type : {"../x", "/bin/sh", "..", ".", "a/b", "sub/../../bin/sh", "bridge\\u0000x", "x\\n"}) {
    std::string text = std::string(R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":")") + type + "\"}]}";
    auto r = parse_cni_conflist(text, "f.conflist");
    EXPECT_NE(error_of(r).find("f.conflist: plugins[0].type:"), std::string::npos) << type << " -> " << error_of(r);
  }
  auto conf = parse_cni_conf(R"({"cniVersion":"1.0.0","name":"n","type":"/bin/sh"})", "f.conf");
  EXPECT_NE(error_of(conf).find("f.conf: plugin.type: \"/bin/sh\" must be a plain file name"), std::string::npos) << error_of(conf);
}

TEST_F(CniConfDir, TheLexicallyFirstConfigFileWins) {
  put("20-second.conflist", R"({"cniVersion":"1.0.0","name":"second","plugins":[{"type":"bridge"}]})");
  put("10-first.conf", R"({"cniVersion":"1.0.0","name":"first","type":"loopback"})");
  put("05-ignored.txt", "not a config");
  std::filesystem::create_directory(dir + "/01-dir.conflist");  // a directory is no config file
  auto r = load_cni_config(dir);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->name, "first");
  EXPECT_EQ(r->source, dir + "/10-first.conf");
  put("00-zero.json", R"({"cniVersion":"1.0.0","name":"zero","type":"loopback"})");
  auto z = load_cni_config(dir);
  ASSERT_TRUE(z) << z.error().what();
  EXPECT_EQ(z->name, "zero");
}

TEST_F(CniConfDir, ABrokenFirstFileIsAnErrorNamingIt) {
  put("10-broken.conflist", R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"../../bin/sh"}]})");
  put("20-good.conflist", R"({"cniVersion":"1.0.0","name":"good","plugins":[{"type":"bridge"}]})");
  auto r = load_cni_config(dir);
  EXPECT_NE(error_of(r).find(dir + "/10-broken.conflist: plugins[0].type"), std::string::npos) << error_of(r);
}

TEST_F(CniConfDir, NoConfigIsNotFound) {
  put("readme.txt", "x");
  auto r = load_cni_config(dir);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::NotFound);
  EXPECT_NE(r.error().what().find("no network config found in " + dir), std::string::npos);
  auto missing = load_cni_config(dir + "/absent");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::NotFound);
}

TEST_F(CniConfDir, AHugeFileIsRefused) {
  put("10-huge.conflist", std::string(2 << 20, ' '));
  auto r = load_cni_config(dir);
  EXPECT_NE(error_of(r).find("10-huge.conflist: larger than"), std::string::npos) << error_of(r);
}
