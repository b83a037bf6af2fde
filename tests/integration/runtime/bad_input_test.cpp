// Bad input: one clear error line, non-zero exit, and nothing left behind.
#include "runtime_fixture.hpp"

namespace berth::test {

class BadInputTest : public RuntimeTest {
 protected:
  // Runs `create` and checks the failure left no state dir, cgroup or mount.
  CmdResult create_fails(const std::string& expect_in_error) {
    std::string id = unique_id("bad");
    std::string mounts_before = sh("wc -l < /proc/self/mountinfo").out;
    auto r = rt({"create", "--bundle", bundle->dir, id});
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.err.find(expect_in_error), std::string::npos) << "stderr: " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "want one error line, got: " << r.err;
    EXPECT_FALSE(state_dir_exists(id));
    EXPECT_EQ(sh("wc -l < /proc/self/mountinfo").out, mounts_before);
    EXPECT_EQ(sh("ls -d /sys/fs/cgroup/*/" + id + " 2>/dev/null").out, "") << "cgroup left behind";
    return r;
  }
};

TEST_F(BadInputTest, MissingRequiredField) {
  bundle->config.erase("ociVersion");
  bundle->write();
  create_fails("ociVersion: required field is missing");
}

TEST_F(BadInputTest, WrongType) {
  bundle->config["process"]["args"] = "sh -c true";
  bundle->write();
  create_fails("process.args: expected array of strings, got string");
}

TEST_F(BadInputTest, UnknownNamespace) {
  bundle->config["linux"]["namespaces"].push_back({{"type", "nosuchns"}});
  bundle->write();
  create_fails("unknown namespace type \"nosuchns\"");
}

TEST_F(BadInputTest, RootPathDoesNotExist) {
  bundle->config["root"]["path"] = "/nonexistent/rootfs";
  bundle->write();
  create_fails("/nonexistent/rootfs does not exist");
}

TEST_F(BadInputTest, ExecutableNotInImage) {
  bundle->config["process"]["args"] = {"/bin/no-such-program"};
  bundle->write();
  create_fails("/bin/no-such-program");
  bundle->config["process"]["args"] = {"no-such-program"};
  bundle->write();
  create_fails("executable file not found in $PATH");
}

TEST_F(BadInputTest, NotJson) {
  write_text(bundle->dir + "/config.json", "{ this is not json");
  create_fails("config.json: invalid JSON");
}

TEST_F(BadInputTest, UnknownCapability) {
  bundle->config["process"]["capabilities"]["bounding"].push_back("CAP_MAKE_COFFEE");
  bundle->write();
  create_fails("unknown capability \"CAP_MAKE_COFFEE\"");
}

TEST_F(BadInputTest, BadMountSourceFailsInsideAndComesHome) {
  bundle->config["mounts"].push_back({{"destination", "/x"}, {"type", "bind"}, {"source", "/no/such/dir"}, {"options", {"bind"}}});
  bundle->write();
  create_fails("/no/such/dir");
}

TEST_F(BadInputTest, InvalidContainerId) {
  auto r = rt({"create", "--bundle", bundle->dir, "../escape"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("invalid container id"), std::string::npos) << r.err;
}

TEST_F(BadInputTest, JsonLogFormatWritesOneJsonErrorEntry) {
  bundle->config["process"]["args"] = {"/bin/no-such-program"};
  bundle->write();
  std::string log = tmp->path() + "/log.json";
  auto r = run({bin("berth-runtime"), "--root", root, "--log", log, "--log-format", "json", "create", "--bundle",
                bundle->dir, unique_id("j")});
  EXPECT_NE(r.status, 0);
  auto text = read_text(log);
  auto j = nlohmann::json::parse(text.substr(0, text.find('\n')));
  EXPECT_EQ(j["level"], "error");
  EXPECT_NE(j["msg"].get<std::string>().find("no-such-program"), std::string::npos);
  EXPECT_TRUE(j.contains("time"));
}

TEST_F(BadInputTest, ForceDeleteOfMissingContainerSucceedsAsInRunc) {
  auto r = rt({"delete", "--force", "never-existed"});
  EXPECT_EQ(r.status, 0) << r.err;
}

TEST_F(BadInputTest, OperationsOnMissingContainer) {
  for (auto verb : {"start", "state", "kill", "delete", "pause", "resume", "ps"}) {
    auto r = rt({verb, "does-not-exist"});
    EXPECT_NE(r.status, 0) << verb;
    EXPECT_NE(r.err.find("does not exist"), std::string::npos) << verb << ": " << r.err;
  }
}

}  // namespace berth::test
