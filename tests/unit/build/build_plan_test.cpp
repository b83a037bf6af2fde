#include "engine/build/build_plan.hpp"

#include <gtest/gtest.h>

#include "engine/build/dockerfile_parser.hpp"

using namespace berth::engine::build;

namespace {

struct Planned {
  Dockerfile df;
  BuildArgs args{GivenArgs{}};
};

berth::Result<BuildPlan> plan(std::string_view text, std::string_view target = "", GivenArgs given = {}) {
  auto df = parse_dockerfile(text);
  EXPECT_TRUE(df) << df.error().message;
  if (!df) return std::unexpected(df.error());
  BuildArgs args(std::move(given));
  if (auto r = args.add_meta_args(df->meta_args, df->escape); !r) return std::unexpected(r.error());
  return plan_build(*df, args, target);
}

const char* kMultiStage =
    "ARG BASE=busybox\n"                                                     // 1
    "FROM $BASE AS base\n"                                                   // 2
    "FROM base AS build\n"                                                   // 3
    "RUN --mount=type=bind,from=assets,source=/a,target=/a true\n"           // 4
    "COPY --from=0 /x /y\n"                                                  // 5
    "FROM busybox AS assets\n"                                               // 6
    "FROM scratch AS unused\n"                                               // 7
    "FROM base AS final\n"                                                   // 8
    "ARG SRC=build\n"                                                        // 9
    "COPY --from=$SRC /out /out\n"                                           // 10
    "COPY --from=alpine:3 /etc/os-release /\n";                              // 11

}  // namespace

TEST(BuildPlan, StagesDependenciesAndWaves) {
  auto p = plan(kMultiStage);
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->stages.size(), 5u);
  EXPECT_EQ(p->target, 4);
  EXPECT_EQ(p->stages[0].base, "busybox");
  EXPECT_EQ(p->stages[0].base_stage, std::nullopt);
  EXPECT_EQ(p->stages[1].base_stage, 0);
  EXPECT_EQ(p->stages[1].deps, (std::vector<int>{0, 2}));
  EXPECT_EQ(p->stages[3].base, "scratch");
  EXPECT_EQ(p->stages[4].deps, (std::vector<int>{0, 1}));
  EXPECT_EQ(p->stages[4].images, std::vector<std::string>{"alpine:3"});
  // "unused" is not needed; base and assets can run side by side, then build, then final.
  EXPECT_EQ(p->needed, (std::vector<int>{0, 2, 1, 4}));
  EXPECT_EQ(p->waves, (std::vector<std::vector<int>>{{0, 2}, {1}, {4}}));
}

TEST(BuildPlan, Targets) {
  auto p = plan(kMultiStage, "BUILD");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->target, 1);
  EXPECT_EQ(p->needed, (std::vector<int>{0, 2, 1}));
  p = plan(kMultiStage, "unused");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->needed, std::vector<int>{3});
  p = plan(kMultiStage, "nope");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message, "failed to reach build target nope in Dockerfile");
  // A build arg can change what a stage reads.
  p = plan(kMultiStage, "", {{"SRC", "assets"}});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->stages[4].deps, (std::vector<int>{0, 2}));
  EXPECT_EQ(p->needed, (std::vector<int>{0, 2, 4}));
}

TEST(BuildPlan, FromNamesOnlyEarlierStages) {
  auto p = plan("FROM later\nFROM busybox AS later\n", "");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->stages[0].base_stage, std::nullopt);  // an image called "later"
  EXPECT_EQ(p->needed, std::vector<int>{1});
  p = plan("ARG S=one\nFROM busybox AS one\nFROM ${S}\n");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->stages[1].base_stage, 0);
}

TEST(BuildPlan, Cycles) {
  auto p = plan("FROM busybox AS a\nCOPY --from=b / /\nFROM busybox AS b\nCOPY --from=a / /\n");
  ASSERT_FALSE(p);
  EXPECT_TRUE(p.error().message.starts_with("circular dependency detected on stage: ")) << p.error().message;
  p = plan("FROM busybox AS a\nRUN --mount=from=a,target=/x true\n");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message, "Dockerfile parse error on line 2: circular dependency detected on stage: a");
  // Even between stages the target does not need.
  p = plan("FROM busybox AS a\nCOPY --from=b / /\nFROM busybox AS b\nCOPY --from=a / /\nFROM busybox\n");
  ASSERT_FALSE(p);
}

TEST(BuildPlan, BadReferences) {
  auto p = plan("FROM busybox\nFROM busybox\n\nCOPY --from=5 /a /b\n");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message,
            "Dockerfile parse error on line 4: invalid from flag value 5: stage index out of range");
  p = plan("FROM busybox AS x\nFROM busybox AS X\n");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message, "Dockerfile parse error on line 2: duplicate stage name \"x\"");
  p = plan("ARG EMPTY\nFROM $EMPTY\n");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message, "Dockerfile parse error on line 2: base name ($EMPTY) should not be blank");
  // Index references work both ways.
  p = plan("FROM busybox\nCOPY --from=1 /a /b\nFROM busybox\n", "");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->needed, std::vector<int>{1});
  EXPECT_EQ(p->stages[0].deps, std::vector<int>{1});
}

TEST(BuildPlan, ContextSourcesCheckedBeforeAnythingRuns) {
  auto p = plan("FROM busybox\nARG UP=..\nCOPY a $UP/etc/passwd /x/\n");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message,
            "Dockerfile parse error on line 3: forbidden path outside the build context: ../etc/passwd");
  p = plan("FROM busybox\nADD ../x /x\n");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message, "Dockerfile parse error on line 2: forbidden path outside the build context: ../x");
  p = plan("FROM busybox\n\nADD https://example.com/a.tgz /x\n");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message,
            "Dockerfile parse error on line 3: ADD https://example.com/a.tgz: remote sources (URLs, git) are not supported "
            "by this builder");
  // From another stage, ".." is a path in that stage's filesystem, cleaned there.
  EXPECT_TRUE(plan("FROM busybox AS a\nFROM busybox\nCOPY --from=a ../etc/passwd /x\n"));
  EXPECT_TRUE(plan("FROM busybox\nCOPY /a ./b /x/\n"));
}

TEST(BuildPlan, VariablesOnlyTheBaseImageSetsDoNotFailThePlan) {
  auto p = plan("FROM busybox\nWORKDIR ${FROM_IMAGE:?must come from the image}\nCOPY a /x\n");
  EXPECT_TRUE(p) << p.error().message;
  p = plan("FROM busybox\nWORKDIR ${BROKEN\n");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message,
            "Dockerfile parse error on line 2: failed to process \"${BROKEN\": syntax error: missing '}'");
}
