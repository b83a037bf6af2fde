// docker commit --change lines as dockerd accepts (and refuses) them.
#include <gtest/gtest.h>

#include "engine/commit_changes.hpp"

using berth::engine::apply_commit_change;
using nlohmann::json;

TEST(CommitChanges, CmdAndEntrypointInBothForms) {
  json c = json::object();
  ASSERT_TRUE(apply_commit_change(c, R"(CMD ["echo","hi"])"));
  EXPECT_EQ(c["Cmd"], json({"echo", "hi"}));
  ASSERT_TRUE(apply_commit_change(c, "cmd echo hello world"));
  EXPECT_EQ(c["Cmd"], json({"/bin/sh", "-c", "echo hello world"}));
  ASSERT_TRUE(apply_commit_change(c, R"(ENTRYPOINT ["/bin/sh"])"));
  EXPECT_EQ(c["Entrypoint"], json({"/bin/sh"}));
}

TEST(CommitChanges, EnvLabelExposeVolume) {
  json c = {{"Env", {"PATH=/bin", "A=old"}}};
  ASSERT_TRUE(apply_commit_change(c, "ENV A=b C=\"d e\""));
  EXPECT_EQ(c["Env"], json({"PATH=/bin", "A=b", "C=d e"}));
  ASSERT_TRUE(apply_commit_change(c, "ENV LEGACY value with spaces"));
  EXPECT_EQ(c["Env"].back(), "LEGACY=value with spaces");
  ASSERT_TRUE(apply_commit_change(c, "LABEL a=1 \"b c\"=2"));
  EXPECT_EQ(c["Labels"], json({{"a", "1"}, {"b c", "2"}}));
  ASSERT_TRUE(apply_commit_change(c, "EXPOSE 80 53/udp 8000-8001"));
  EXPECT_EQ(c["ExposedPorts"], json({{"80/tcp", json::object()}, {"53/udp", json::object()},
                                     {"8000/tcp", json::object()}, {"8001/tcp", json::object()}}));
  ASSERT_TRUE(apply_commit_change(c, R"(VOLUME ["/data", "/logs"])"));
  EXPECT_TRUE(c["Volumes"].contains("/data"));
  EXPECT_TRUE(c["Volumes"].contains("/logs"));
}

TEST(CommitChanges, UserWorkdirStopsignalOnbuild) {
  json c = {{"WorkingDir", "/srv"}};
  ASSERT_TRUE(apply_commit_change(c, "USER nobody"));
  EXPECT_EQ(c["User"], "nobody");
  ASSERT_TRUE(apply_commit_change(c, "WORKDIR app"));
  EXPECT_EQ(c["WorkingDir"], "/srv/app");
  ASSERT_TRUE(apply_commit_change(c, "STOPSIGNAL SIGTERM"));
  EXPECT_EQ(c["StopSignal"], "SIGTERM");
  ASSERT_TRUE(apply_commit_change(c, "ONBUILD RUN echo hi"));
  EXPECT_EQ(c["OnBuild"], json({"RUN echo hi"}));
}

TEST(CommitChanges, BadLinesGetDockerdsMessages) {
  struct Case {
    const char* line;
    const char* message;
  };
  for (auto [line, message] : std::vector<Case>{
           {"FOO bar", "foo is not a valid change command"},
           {"RUN echo", "run is not a valid change command"},
           {"FROM busybox", "from is not a valid change command"},
           {"EXPOSE abc", "Invalid containerPort: abc"},
           {"ENV", "ENV requires at least one argument"},
           {"LABEL", "LABEL requires at least one argument"},
           {"USER a b", "USER requires exactly one argument"},
           {"ONBUILD ONBUILD RUN x", "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"},
       }) {
    json c = json::object();
    auto r = apply_commit_change(c, line);
    ASSERT_FALSE(r) << line;
    EXPECT_EQ(r.error().what(), message) << line;
    EXPECT_EQ(r.error().http_status(), 400) << line;
  }
}
