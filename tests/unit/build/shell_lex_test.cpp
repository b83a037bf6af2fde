#include "engine/build/shell_lex.hpp"

#include <gtest/gtest.h>

#include "engine/build/dockerfile_parser.hpp"
#include "engine/build/instruction_expand.hpp"

using namespace berth::engine::build;

namespace {

const Vars kEnv{{"FOO", "foo"}, {"EMPTY", ""}, {"SPACED", "1  2"}, {"A_1", "a1"}};

std::string word(std::string_view w, LexOptions o = {}) {
  auto r = expand_word(w, kEnv, o);
  EXPECT_TRUE(r) << w << ": " << (r ? "" : r.error().message);
  return r ? *r : "<error>";
}

std::string word_err(std::string_view w) {
  auto r = expand_word(w, kEnv);
  EXPECT_FALSE(r) << w << " expanded to " << (r ? *r : "");
  return r ? "" : r.error().message;
}

std::vector<std::string> words(std::string_view w) {
  auto r = expand_words(w, kEnv);
  EXPECT_TRUE(r) << w;
  return r ? *r : std::vector<std::string>{};
}

}  // namespace

TEST(ShellLex, Variables) {
  EXPECT_EQ(word("$FOO"), "foo");
  EXPECT_EQ(word("${FOO}"), "foo");
  EXPECT_EQ(word("$FOO.txt"), "foo.txt");
  EXPECT_EQ(word("${FOO}bar $FOObar"), "foobar ");
  EXPECT_EQ(word("$A_1/x"), "a1/x");
  EXPECT_EQ(word("a$"), "a$");
  EXPECT_EQ(word("$ x"), "$ x");
  EXPECT_EQ(word("$UNSET|${UNSET}|$1|$@"), "|||");
}

TEST(ShellLex, Modifiers) {
  EXPECT_EQ(word("${UNSET:-def}"), "def");
  EXPECT_EQ(word("${EMPTY:-def}"), "def");
  EXPECT_EQ(word("${FOO:-def}"), "foo");
  EXPECT_EQ(word("${UNSET-def}"), "def");
  EXPECT_EQ(word("${EMPTY-def}"), "");
  EXPECT_EQ(word("${FOO:+alt}"), "alt");
  EXPECT_EQ(word("${EMPTY:+alt}"), "");
  EXPECT_EQ(word("${EMPTY+alt}"), "alt");
  EXPECT_EQ(word("${UNSET+alt}"), "");
  EXPECT_EQ(word("${UNSET:-${FOO}x}"), "foox");
  EXPECT_EQ(word("${UNSET:-\"a  b\"}"), "a  b");
  EXPECT_EQ(word("${UNSET:-}"), "");
  EXPECT_EQ(word("${FOO:?must be set}"), "foo");
  EXPECT_EQ(word_err("${UNSET:?must be set}"), "UNSET: must be set");
  EXPECT_EQ(word_err("${UNSET?}"), "UNSET: is not allowed to be unset");
  EXPECT_EQ(word_err("${EMPTY:?}"), "EMPTY: is not allowed to be empty");
  EXPECT_EQ(word("${EMPTY?}"), "");
}

TEST(ShellLex, QuotesAndEscapes) {
  EXPECT_EQ(word("'$FOO \"x\"'"), "$FOO \"x\"");
  EXPECT_EQ(word("\"$FOO 'x'\""), "foo 'x'");
  EXPECT_EQ(word("\\$FOO"), "$FOO");
  EXPECT_EQ(word("\"\\$FOO\""), "$FOO");
  EXPECT_EQ(word("\"a\\\"b\""), "a\"b");
  EXPECT_EQ(word("\"a\\b\""), "a\\b");    // inside "", \ escapes only " $ and itself
  EXPECT_EQ(word("\"a\\\\b\""), "a\\b");
  EXPECT_EQ(word("a\\b"), "ab");          // outside, it escapes anything
  EXPECT_EQ(word("'a\\b'"), "a\\b");      // nothing escapes in ''
  EXPECT_EQ(word("a\\"), "a");            // a trailing escape is dropped
  EXPECT_EQ(word("\"it's\""), "it's");
  // With ` as the escape token, backslashes are plain text.
  LexOptions bt{.escape = '`'};
  EXPECT_EQ(word("c:\\dir\\$FOO", bt), "c:\\dir\\foo");
  EXPECT_EQ(word("`$FOO", bt), "$FOO");
  // Raw modes keep quotes and escapes (used to find heredoc words).
  EXPECT_EQ(word("\"a b\"\\x", {.raw_quotes = true, .raw_escapes = true}), "\"a b\"\\x");
  EXPECT_EQ(word("$UNSET ${UNSET:-d} $FOO", {.skip_unset = true}), "$UNSET ${UNSET:-d} foo");
}

TEST(ShellLex, Errors) {
  EXPECT_EQ(word_err("'abc"), "unexpected end of statement while looking for matching single-quote");
  EXPECT_EQ(word_err("\"abc"), "unexpected end of statement while looking for matching double-quote");
  EXPECT_EQ(word_err("${FOO"), "syntax error: missing '}'");
  EXPECT_EQ(word_err("${"), "syntax error: missing '}'");
  EXPECT_EQ(word_err("${}"), "syntax error: bad substitution");
  EXPECT_EQ(word_err("${:-x}"), "syntax error: bad substitution");
  EXPECT_EQ(word_err("${FOO:-x"), "syntax error: missing '}'");
  EXPECT_EQ(word_err("${FOO%x}"), "unsupported modifier (%) in substitution");
  EXPECT_EQ(word_err("${FOO:=x}"), "unsupported modifier (=) in substitution");
}

TEST(ShellLex, WordSplitting) {
  EXPECT_EQ(words("a \"b c\" $SPACED"), (std::vector<std::string>{"a", "b c", "1", "2"}));
  EXPECT_EQ(words("\"$SPACED\""), std::vector<std::string>{"1  2"});
  EXPECT_EQ(words("x$SPACED"), (std::vector<std::string>{"x1", "2"}));
  EXPECT_EQ(words("a\\ b  c"), (std::vector<std::string>{"a b", "c"}));
  EXPECT_TRUE(words("  ").empty());
  EXPECT_TRUE(words("''").empty());  // as Docker: an empty quoted word is no word
}

namespace {

std::vector<Instruction> expanded(std::string_view text, const Vars& env) {
  auto df = parse_dockerfile(text);
  EXPECT_TRUE(df) << df.error().message;
  std::vector<Instruction> out;
  for (auto& ins : df->stages.at(0).commands) {
    auto e = expand_instruction(ins, env, df->escape);
    EXPECT_TRUE(e) << e.error().message;
    if (e) out.push_back(std::move(*e));
  }
  return out;
}

}  // namespace

TEST(InstructionExpand, WhichInstructionsExpand) {
  Vars env{{"D", "/dst"}, {"U", "app"}, {"P", "80 443"}, {"V", "v 1"}, {"C", "cache"}};
  auto c = expanded(
      "FROM x\n"
      "COPY --chown=$U:$U --from=${U}-stage $D/a \"${D}/b\" $D/\n"     // 0
      "ENV k=$V other=\"quoted $U\" old='$U'\n"                        // 1
      "ENV single $V and \"more\"\n"                                     // 2
      "LABEL \"com.x\"=\"$V\"\n"                                         // 3
      "EXPOSE $P 8080/udp\n"                                             // 4
      "WORKDIR $D/work\n"                                                // 5
      "USER ${U}:${U}\n"                                                 // 6
      "VOLUME [\"$D/vol\"]\n"                                            // 7
      "STOPSIGNAL SIG${U:+USR1}\n"                                       // 8
      "RUN --mount=type=cache,target=/$C,id=$C echo $U\n"                // 9
      "CMD echo $U\n"                                                    // 10
      "ENTRYPOINT [\"echo\", \"$U\"]\n"                                  // 11
      "ONBUILD RUN echo $U\n"                                            // 12
      "HEALTHCHECK CMD echo $U\n"                                        // 13
      "ARG N=${U}1\n",                                                   // 14
      env);
  ASSERT_EQ(c.size(), 15u);
  auto& cp = std::get<CopyCmd>(c[0].payload);
  EXPECT_EQ(cp.chown, "app:app");
  EXPECT_EQ(cp.from, "app-stage");
  EXPECT_EQ(cp.sources, (std::vector<std::string>{"/dst/a", "/dst/b"}));
  EXPECT_EQ(cp.dest, "/dst/");
  EXPECT_EQ(std::get<EnvCmd>(c[1].payload).vars,
            (std::vector<KeyValue>{{"k", "v 1"}, {"other", "quoted app"}, {"old", "$U"}}));
  EXPECT_EQ(std::get<EnvCmd>(c[2].payload).vars, (std::vector<KeyValue>{{"single", "v 1 and more"}}));
  EXPECT_EQ(std::get<LabelCmd>(c[3].payload).labels, (std::vector<KeyValue>{{"com.x", "v 1"}}));
  EXPECT_EQ(std::get<ExposeCmd>(c[4].payload).ports, (std::vector<std::string>{"80", "443", "8080/udp"}));
  EXPECT_EQ(std::get<WorkdirCmd>(c[5].payload).path, "/dst/work");
  EXPECT_EQ(std::get<UserCmd>(c[6].payload).user, "app:app");
  EXPECT_EQ(std::get<VolumeCmd>(c[7].payload).paths, std::vector<std::string>{"/dst/vol"});
  EXPECT_EQ(std::get<StopSignalCmd>(c[8].payload).signal, "SIGUSR1");
  auto& run = std::get<RunCmd>(c[9].payload);
  EXPECT_EQ(run.mounts.at(0).target, "/cache");
  EXPECT_EQ(run.mounts.at(0).id, "cache");
  EXPECT_EQ(run.cmdline.args, std::vector<std::string>{"echo $U"});  // the shell expands it
  EXPECT_EQ(std::get<CmdCmd>(c[10].payload).cmdline.args, std::vector<std::string>{"echo $U"});
  EXPECT_EQ(std::get<EntrypointCmd>(c[11].payload).cmdline.args, (std::vector<std::string>{"echo", "$U"}));
  EXPECT_EQ(std::get<OnbuildCmd>(c[12].payload).expression, "RUN echo $U");
  EXPECT_EQ(std::get<HealthcheckCmd>(c[13].payload).test, (std::vector<std::string>{"CMD-SHELL", "echo $U"}));
  EXPECT_EQ(std::get<ArgCmd>(c[14].payload).args.at(0).default_value, "app1");
  EXPECT_FALSE(expands(Command::Cmd));
  EXPECT_FALSE(expands(Command::Onbuild));
  EXPECT_TRUE(expands(Command::From));
}

TEST(InstructionExpand, FromUsesTheGivenEnvAndErrorsNameTheLine) {
  auto df = parse_dockerfile("ARG TAG=1\nFROM --platform=$P busybox:${TAG}\n\nWORKDIR ${X\n");
  ASSERT_TRUE(df) << df.error().message;
  auto from = expand_instruction(df->stages[0].from, Vars{{"TAG", "2"}, {"P", "linux/arm64"}});
  ASSERT_TRUE(from);
  EXPECT_EQ(std::get<FromCmd>(from->payload).base, "busybox:2");
  EXPECT_EQ(std::get<FromCmd>(from->payload).platform, "linux/arm64");
  auto bad = expand_instruction(df->stages[0].commands[0], {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "Dockerfile parse error on line 4: failed to process \"${X\": syntax error: missing '}'");
}
