#include "engine/build/build_args.hpp"

#include <gtest/gtest.h>

#include "engine/build/dockerfile_parser.hpp"
#include "engine/build/instruction_expand.hpp"

using namespace berth::engine::build;

namespace {

Dockerfile parse(std::string_view text) {
  auto df = parse_dockerfile(text);
  EXPECT_TRUE(df) << df.error().message;
  return df ? std::move(*df) : Dockerfile{};
}

// Runs a stage's ENV and ARG lines the way the executor will: expand, then apply.
struct StageRun {
  StageArgs args;
  Vars env;
  StageRun(const BuildArgs& b, const Stage& s, Vars image_env = {}) : args(b.stage()), env(std::move(image_env)) {
    for (const auto& ins : s.commands) {
      auto e = expand_instruction(ins, args.expansion_env(env));
      EXPECT_TRUE(e) << e.error().message;
      if (auto* a = std::get_if<ArgCmd>(&e->payload)) {
        for (auto& d : a->args) args.declare(d);
      } else if (auto* v = std::get_if<EnvCmd>(&e->payload)) {
        for (auto& kv : v->vars) env[kv.key] = kv.value;
      }
    }
  }
  std::string expand(std::string_view w) { return *expand_word(w, args.expansion_env(env)); }
};

}  // namespace

TEST(BuildArgs, MetaArgsAreForFromOnlyUnlessRedeclared) {
  auto df = parse(
      "ARG TAG=1.0\n"
      "ARG IMG=busybox:${TAG}\n"
      "FROM $IMG\n"
      "ARG TAG\n"
      "FROM scratch\n");
  BuildArgs b(GivenArgs{});
  ASSERT_TRUE(b.add_meta_args(df.meta_args));
  EXPECT_EQ(b.meta_vars().at("IMG"), "busybox:1.0");
  auto from = expand_instruction(df.stages[0].from, b.meta_vars());
  EXPECT_EQ(std::get<FromCmd>(from->payload).base, "busybox:1.0");
  // Stage 0 redeclares TAG without a default: it takes the meta value. IMG stays invisible.
  StageRun s0(b, df.stages[0]);
  EXPECT_EQ(s0.expand("$TAG|$IMG"), "1.0|");
  StageRun s1(b, df.stages[1]);
  EXPECT_EQ(s1.expand("$TAG"), "");
}

TEST(BuildArgs, BuildArgsOverrideDefaultsAndMeta) {
  auto df = parse(
      "ARG V=meta\n"
      "FROM x\n"
      "RUN echo before $V\n"
      "ARG V\n"
      "ARG D=default\n"
      "ARG N\n");
  BuildArgs b(GivenArgs{{"V", "given"}, {"D", "given-d"}});
  ASSERT_TRUE(b.add_meta_args(df.meta_args));
  EXPECT_EQ(b.meta_vars().at("V"), "given");
  StageRun s(b, df.stages[0]);
  EXPECT_EQ(s.expand("$V $D [$N]"), "given given-d []");
  EXPECT_EQ(s.args.run_args(s.env), (Vars{{"D", "given-d"}, {"V", "given"}}));  // N has no value

  BuildArgs none(GivenArgs{});
  ASSERT_TRUE(none.add_meta_args(df.meta_args));
  StageRun t(none, df.stages[0]);
  EXPECT_EQ(t.expand("$V $D"), "meta default");
  // A build arg given without a value (the client had none) does not override.
  BuildArgs novalue(GivenArgs{{"D", std::nullopt}});
  StageRun u(novalue, df.stages[0]);
  EXPECT_EQ(u.expand("$D"), "default");
}

TEST(BuildArgs, EnvOverridesArg) {
  auto df = parse(
      "FROM x\n"
      "ARG A=arg\n"
      "ENV A=env B=${A}\n"
      "ARG A=again\n");
  BuildArgs b(GivenArgs{{"A", "given"}});
  StageRun s(b, df.stages[0]);
  EXPECT_EQ(s.env.at("B"), "given");  // ENV's words expand before it applies
  EXPECT_EQ(s.expand("$A"), "env");
  EXPECT_TRUE(s.args.run_args(s.env).empty());  // RUN gets A from ENV, not as an ARG
  // An ENV from the base image wins too.
  StageRun img(b, parse("FROM x\nARG PATH=/arg\n").stages[0], Vars{{"PATH", "/bin"}});
  EXPECT_EQ(img.expand("$PATH"), "/bin");
}

TEST(BuildArgs, PredefinedProxyArgs) {
  auto df = parse(
      "FROM x\n"
      "ARG https_proxy\n");
  BuildArgs b(GivenArgs{{"HTTP_PROXY", "http://p:3128"}, {"https_proxy", "http://q"}, {"NO_PROXY", std::nullopt}});
  StageRun s(b, df.stages[0]);
  // Both reach RUN; only the declared one is written in the history.
  EXPECT_EQ(s.args.run_args(s.env), (Vars{{"HTTP_PROXY", "http://p:3128"}, {"https_proxy", "http://q"}}));
  EXPECT_EQ(s.args.history_args(s.env), (Vars{{"https_proxy", "http://q"}}));
  EXPECT_EQ(s.expand("$HTTP_PROXY"), "http://p:3128");
  EXPECT_TRUE(is_predefined_arg("no_proxy"));
  EXPECT_FALSE(is_predefined_arg("NOPROXY"));
  // Predefined args are never "not consumed".
  EXPECT_EQ(b.unconsumed_warning({}), std::nullopt);
}

TEST(BuildArgs, UnconsumedWarning) {
  auto df = parse(
      "ARG META\n"
      "FROM x AS a\n"
      "ARG USED\n"
      "FROM x AS b\n"
      "ARG ONLY_IN_B\n");
  BuildArgs b(GivenArgs{{"USED", "1"}, {"META", "2"}, {"ZED", "3"}, {"ONLY_IN_B", "4"}, {"HTTP_PROXY", "p"}});
  ASSERT_TRUE(b.add_meta_args(df.meta_args));
  // Only stage a runs: ONLY_IN_B and ZED were not consumed, listed sorted.
  EXPECT_EQ(b.unconsumed_warning(declared_arg_names(df, {0})),
            "[Warning] One or more build-args [ONLY_IN_B ZED] were not consumed");
  EXPECT_EQ(b.unconsumed_warning(declared_arg_names(df, {0, 1})),
            "[Warning] One or more build-args [ZED] were not consumed");
}

TEST(BuildArgs, AutomaticPlatformArgs) {
  auto df = parse(
      "ARG TARGETARCH\n"
      "FROM busybox-$TARGETARCH\n"
      "ARG TARGETARCH\n"
      "ARG BUILDPLATFORM\n");
  BuildArgs b(GivenArgs{}, Vars{{"TARGETARCH", "amd64"}, {"BUILDPLATFORM", "linux/amd64"}});
  ASSERT_TRUE(b.add_meta_args(df.meta_args));
  EXPECT_EQ(std::get<FromCmd>(expand_instruction(df.stages[0].from, b.meta_vars())->payload).base, "busybox-amd64");
  StageRun s(b, df.stages[0]);
  EXPECT_EQ(s.expand("$TARGETARCH $BUILDPLATFORM"), "amd64 linux/amd64");
}

TEST(BuildArgs, MetaArgErrorsNameTheLine) {
  auto df = parse("ARG A=${B\nFROM x\n");
  BuildArgs b(GivenArgs{});
  auto r = b.add_meta_args(df.meta_args);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "Dockerfile parse error on line 1: failed to process \"${B\": syntax error: missing '}'");
}

TEST(BuildArgs, HistoryPrefix) {
  EXPECT_EQ(with_history_args({}, {"/bin/sh", "-c", "make"}), (std::vector<std::string>{"/bin/sh", "-c", "make"}));
  EXPECT_EQ(with_history_args({{"B", "2"}, {"A", "1"}}, {"/bin/sh", "-c", "make"}),
            (std::vector<std::string>{"|2", "A=1", "B=2", "/bin/sh", "-c", "make"}));
}
