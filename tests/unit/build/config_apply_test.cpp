#include "engine/build/config_apply.hpp"

#include <gtest/gtest.h>

#include "engine/build/dockerfile_parser.hpp"
#include "engine/build/go_format.hpp"
#include "engine/build/instruction_expand.hpp"

using namespace berth::engine::build;
using nlohmann::json;

namespace {

// Applies every instruction of the (single) stage; returns the history lines.
std::vector<std::string> apply_all(StageConfig& st, std::string_view text, Vars env = {}) {
  auto df = parse_dockerfile(text);
  EXPECT_TRUE(df) << df.error().message;
  std::vector<std::string> history;
  for (auto& ins : df->stages.at(0).commands) {
    auto e = expand_instruction(ins, env);
    EXPECT_TRUE(e) << e.error().message;
    auto h = apply_to_config(st, *e);
    EXPECT_TRUE(h) << h.error().message;
    history.push_back(h ? *h : "");
  }
  return history;
}

}  // namespace

TEST(ConfigApply, EnvLabelsAndTheirHistory) {
  StageConfig st;
  st.config["Env"] = {"PATH=/usr/bin", "HOME=/root"};
  auto h = apply_all(st,
                     "FROM x\n"
                     "ENV HOME=/home/app A=\"two words\"\n"
                     "ENV B $A\n"
                     "LABEL com.example=\"v 1\" other=x\n",
                     Vars{{"A", "two words"}});
  EXPECT_EQ(st.config["Env"], json({"PATH=/usr/bin", "HOME=/home/app", "A=two words", "B=two words"}));
  EXPECT_EQ(st.config["Labels"], json({{"com.example", "v 1"}, {"other", "x"}}));
  EXPECT_EQ(h[0], "/bin/sh -c #(nop)  ENV HOME=/home/app A=two words");
  EXPECT_EQ(h[1], "/bin/sh -c #(nop)  ENV B=two words");
  EXPECT_EQ(h[2], "/bin/sh -c #(nop)  LABEL com.example=v 1 other=x");
}

TEST(ConfigApply, PortsWorkdirUserVolumesSignal) {
  StageConfig st;
  auto h = apply_all(st,
                     "FROM x\n"
                     "EXPOSE 80 53/udp 8000-8001\n"
                     "WORKDIR /a\n"
                     "WORKDIR b\n"
                     "WORKDIR ../c/./d/\n"
                     "USER app:app\n"
                     "VOLUME /data /logs\n"
                     "STOPSIGNAL SIGUSR1\n");
  EXPECT_EQ(st.config["ExposedPorts"],
            json({{"80/tcp", json::object()}, {"53/udp", json::object()}, {"8000/tcp", json::object()},
                  {"8001/tcp", json::object()}}));
  EXPECT_EQ(h[0], "/bin/sh -c #(nop)  EXPOSE 53/udp 80 8000-8001");
  EXPECT_EQ(st.config["WorkingDir"], "/a/c/d");
  EXPECT_EQ(h[3], "/bin/sh -c #(nop) WORKDIR /a/c/d");
  EXPECT_EQ(st.config["User"], "app:app");
  EXPECT_EQ(st.config["Volumes"], json({{"/data", json::object()}, {"/logs", json::object()}}));
  EXPECT_EQ(h[5], "/bin/sh -c #(nop)  VOLUME [/data /logs]");
  EXPECT_EQ(st.config["StopSignal"], "SIGUSR1");
  EXPECT_EQ(normalize_workdir("", "rel"), "/rel");
}

TEST(ConfigApply, BadPortsNameTheLine) {
  auto df = parse_dockerfile("FROM x\n\nEXPOSE 80/xyz\nEXPOSE http\nEXPOSE 9-1\n");
  ASSERT_TRUE(df);
  StageConfig st;
  auto& c = df->stages[0].commands;
  EXPECT_EQ(apply_to_config(st, c[0]).error().message, "Dockerfile line 3: invalid proto: xyz");
  EXPECT_EQ(apply_to_config(st, c[1]).error().message, "Dockerfile line 4: invalid containerPort: http");
  EXPECT_EQ(apply_to_config(st, c[2]).error().message,
            "Dockerfile line 5: invalid range specified for container port: 9-1");
  EXPECT_FALSE(st.config.contains("ExposedPorts"));  // nothing half-applied
  EXPECT_FALSE(apply_to_config(st, df->stages[0].from));  // FROM is not a config change
}

TEST(ConfigApply, CmdEntrypointAndShellRules) {
  // An inherited CMD is dropped by ENTRYPOINT; a CMD of this stage is kept.
  StageConfig inherited;
  inherited.config["Cmd"] = {"sh"};
  auto h = apply_all(inherited, "FROM x\nENTRYPOINT [\"/app\"]\n");
  EXPECT_EQ(inherited.config["Entrypoint"], json({"/app"}));
  EXPECT_TRUE(inherited.config["Cmd"].is_null());
  EXPECT_EQ(h[0], "/bin/sh -c #(nop)  ENTRYPOINT [\"/app\"]");

  StageConfig own;
  h = apply_all(own, "FROM x\nCMD echo \"hi\"\nENTRYPOINT [\"/app\"]\n");
  EXPECT_EQ(own.config["Cmd"], json({"/bin/sh", "-c", "echo \"hi\""}));
  EXPECT_EQ(h[0], "/bin/sh -c #(nop)  CMD [\"/bin/sh\" \"-c\" \"echo \\\"hi\\\"\"]");

  StageConfig shell;
  h = apply_all(shell, "FROM x\nSHELL [\"/bin/bash\", \"-eu\", \"-c\"]\nCMD run me\nENTRYPOINT []\n");
  EXPECT_EQ(shell.config["Cmd"], json({"/bin/bash", "-eu", "-c", "run me"}));
  EXPECT_TRUE(shell.config["Entrypoint"].is_null());
  EXPECT_EQ(h[0], "/bin/bash -eu -c #(nop)  SHELL [/bin/bash -eu -c]");
  EXPECT_EQ(h[2], "/bin/bash -eu -c #(nop)  ENTRYPOINT []");
  EXPECT_EQ(resolve_cmdline(CommandLine{{"a", "b"}, true, {}}, json::object()),
            (std::vector<std::string>{"/bin/sh", "-c", "a b"}));
}

TEST(ConfigApply, HealthcheckOnbuildMaintainerArg) {
  StageConfig st;
  auto h = apply_all(st,
                     "FROM x\n"
                     "HEALTHCHECK --interval=1m30s --timeout=3s --retries=3 CMD curl -f http://localhost/\n"
                     "ONBUILD RUN make\n"
                     "MAINTAINER Jane <j@x>\n"
                     "ARG A B=2\n"
                     "HEALTHCHECK NONE\n");
  EXPECT_EQ(h[0],
            "/bin/sh -c #(nop)  HEALTHCHECK &{[\"CMD-SHELL\" \"curl -f http://localhost/\"] \"1m30s\" \"3s\" \"0s\" "
            "\"0s\" '\\x03'}");
  EXPECT_EQ(st.config["OnBuild"], json({"RUN make"}));
  EXPECT_EQ(h[1], "/bin/sh -c #(nop)  ONBUILD RUN make");
  EXPECT_EQ(st.author, "Jane <j@x>");
  EXPECT_EQ(h[3], "/bin/sh -c #(nop)  ARG A B=2");
  EXPECT_EQ(st.config["Healthcheck"], json({{"Test", {"NONE"}}}));
}

TEST(GoFormat, AsGoPrintsThem) {
  using namespace std::chrono;
  EXPECT_EQ(go_duration(nanoseconds(0)), "0s");
  EXPECT_EQ(go_duration(seconds(90)), "1m30s");
  EXPECT_EQ(go_duration(hours(1)), "1h0m0s");
  EXPECT_EQ(go_duration(milliseconds(1500)), "1.5s");
  EXPECT_EQ(go_duration(milliseconds(500)), "500ms");
  EXPECT_EQ(go_duration(microseconds(1500)), "1.5ms");
  EXPECT_EQ(go_duration(microseconds(10)), "10\xc2\xb5s");
  EXPECT_EQ(go_duration(nanoseconds(999)), "999ns");
  EXPECT_EQ(go_duration(seconds(-2)), "-2s");
  EXPECT_EQ(go_quote("a\"b\\c\n\x01\xc3\xa9"), "\"a\\\"b\\\\c\\n\\x01\xc3\xa9\"");
  EXPECT_EQ(go_quote_list({}), "[]");
  EXPECT_EQ(go_list({"a", "b c"}), "[a b c]");
}
