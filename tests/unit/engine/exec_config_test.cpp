// Exec create bodies (dockerd's checks and words) and the OCI process an exec becomes; the shim
// protocol's exec payloads.
#include <gtest/gtest.h>

#include "engine/exec_config.hpp"
#include "engine/exec_request.hpp"

using namespace berth::engine;
using nlohmann::json;

TEST(ExecConfigParse, ReadsDockersBody) {
  auto c = parse_exec_config(json{{"Cmd", {"sh", "-c", "x"}}, {"Env", {"A=1"}}, {"User", "nobody"},
                                  {"WorkingDir", "/tmp"}, {"Tty", true}, {"AttachStdin", true},
                                  {"AttachStdout", true}, {"Privileged", true}, {"ConsoleSize", {24, 80}},
                                  {"DetachKeys", "ctrl-x"}});
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->cmd.size(), 3u);
  EXPECT_EQ(c->user, "nobody");
  EXPECT_TRUE(c->tty && c->attach_stdin && c->attach_stdout && !c->attach_stderr && c->privileged);
  EXPECT_EQ(c->rows, 24u);
  EXPECT_EQ(c->cols, 80u);
}

TEST(ExecConfigParse, EmptyCmdIsDockerdsError) {
  for (json body : {json::object(), json{{"Cmd", json::array()}}, json{{"Cmd", nullptr}}}) {
    auto c = parse_exec_config(body);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().message, "No exec command specified");
    EXPECT_EQ(c.error().http_status(), 400);
  }
}

TEST(ExecConfigParse, BadFieldsAreRefused) {
  EXPECT_FALSE(parse_exec_config(json{{"Cmd", "ls"}}));
  EXPECT_FALSE(parse_exec_config(json{{"Cmd", {"ls"}}, {"Tty", "yes"}}));
  EXPECT_FALSE(parse_exec_config(json{{"Cmd", {"ls"}}, {"ConsoleSize", {1}}}));
  EXPECT_FALSE(parse_exec_config(json{{"Cmd", {"ls"}}, {"WorkingDir", "rel"}}));
  EXPECT_FALSE(parse_exec_config(json::array()));
}

TEST(ExecProcess, ContainersProcessWithTheExecsChanges) {
  json base = {{"args", {"init"}}, {"env", {"PATH=/bin", "A=old"}}, {"cwd", "/"}, {"terminal", false},
               {"user", {{"uid", 5}, {"gid", 5}}},
               {"capabilities", {{"bounding", {"CAP_CHOWN"}}}}};
  ExecConfig c;
  c.cmd = {"ls", "-l"};
  c.env = {"A=new", "B=2"};
  c.working_dir = "/tmp";
  auto p = exec_process(base, c, std::nullopt);
  ASSERT_TRUE(p);
  EXPECT_EQ((*p)["args"], (json{"ls", "-l"}));
  EXPECT_EQ((*p)["env"], (json{"PATH=/bin", "A=new", "B=2"}));
  EXPECT_EQ((*p)["cwd"], "/tmp");
  EXPECT_EQ((*p)["user"]["uid"], 5);  // the container's user when none is given
  EXPECT_EQ((*p)["user"]["additionalGids"], json{5});  // its group among the supplementary ones
  EXPECT_EQ((*p)["capabilities"]["bounding"], json{"CAP_CHOWN"});

  c.tty = true;
  c.rows = 30;
  c.cols = 100;
  c.privileged = true;
  auto p2 = exec_process(base, c, ResolvedUser{1000, 100, {4}});
  ASSERT_TRUE(p2);
  EXPECT_EQ((*p2)["user"], (json{{"uid", 1000}, {"gid", 100}, {"additionalGids", {100, 4}}}));
  EXPECT_EQ((*p2)["consoleSize"], (json{{"height", 30}, {"width", 100}}));
  EXPECT_TRUE((*p2)["terminal"].get<bool>());
  EXPECT_GT((*p2)["capabilities"]["effective"].size(), 30u);
  EXPECT_NE(std::find((*p2)["env"].begin(), (*p2)["env"].end(), "TERM=xterm"), (*p2)["env"].end());
}

TEST(ExecPayloads, RoundTrip) {
  ExecRequest r{json{{"args", {"true"}}}, true, 1500};
  auto back = decode_exec_request(encode_exec_request(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->process, r.process);
  EXPECT_TRUE(back->open_stdin);
  EXPECT_EQ(back->timeout_ms, 1500);
  EXPECT_FALSE(decode_exec_request("{}"));
  EXPECT_FALSE(decode_exec_request(R"({"Process":{},"TimeoutMs":-1})"));

  auto ex = decode_exec_exit(encode_exec_exit({137, true}));
  ASSERT_TRUE(ex);
  EXPECT_EQ(ex->exit_code, 137);
  EXPECT_TRUE(ex->timed_out);
  EXPECT_FALSE(decode_exec_exit("garbage"));

  auto rs = decode_exec_resize(encode_exec_resize({42, 24, 80}));
  ASSERT_TRUE(rs);
  EXPECT_EQ(rs->pid, 42);
  EXPECT_EQ(rs->cols, 80u);
  EXPECT_FALSE(decode_exec_resize(R"({"Pid":1,"Rows":70000,"Cols":1})"));
}
