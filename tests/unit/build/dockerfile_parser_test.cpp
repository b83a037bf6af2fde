#include "engine/build/dockerfile_parser.hpp"

#include <gtest/gtest.h>

using namespace berth::engine::build;

namespace {

Dockerfile parse_ok(std::string_view text) {
  auto r = parse_dockerfile(text);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? std::move(*r) : Dockerfile{};
}

std::string parse_err(std::string_view text) {
  auto r = parse_dockerfile(text);
  EXPECT_FALSE(r) << "parsed: " << text;
  return r ? "" : r.error().message;
}

template <class T>
const T& only(const Dockerfile& df, size_t i = 0) {
  return std::get<T>(df.stages.at(0).commands.at(i).payload);
}

}  // namespace

TEST(DockerfileParser, StagesLinesAndCaseInsensitiveInstructions) {
  auto df = parse_ok(
      "# a comment\n"
      "ARG BASE=busybox\n"
      "from $BASE AS Builder\n"
      "\n"
      "run echo hi\n"
      "Copy a b\n"
      "FROM --platform=linux/amd64 scratch\n"
      "COPY --from=builder /x /y\n");
  ASSERT_EQ(df.meta_args.size(), 1u);
  EXPECT_EQ(df.meta_args[0].line, 2);
  ASSERT_EQ(df.stages.size(), 2u);
  EXPECT_EQ(df.stages[0].from.line, 3);
  EXPECT_EQ(df.stages[0].from_cmd().base, "$BASE");
  EXPECT_EQ(df.stages[0].from_cmd().stage_name, "builder");
  ASSERT_EQ(df.stages[0].commands.size(), 2u);
  EXPECT_EQ(df.stages[0].commands[0].command, Command::Run);
  EXPECT_EQ(df.stages[0].commands[0].line, 5);
  EXPECT_EQ(df.stages[0].commands[1].command, Command::Copy);
  EXPECT_EQ(df.stages[0].commands[1].line, 6);
  EXPECT_EQ(df.stages[1].index, 1);
  EXPECT_EQ(df.stages[1].from_cmd().platform, "linux/amd64");
  EXPECT_EQ(df.stages[1].from_cmd().stage_name, "");
  EXPECT_EQ(std::get<CopyCmd>(df.stages[1].commands[0].payload).from, "builder");
}

TEST(DockerfileParser, Directives) {
  auto df = parse_ok("# syntax=docker/dockerfile:1\n#  ESCAPE = `\nFROM x\nRUN echo a `\n  b\n");
  EXPECT_EQ(df.syntax, "docker/dockerfile:1");
  EXPECT_EQ(df.escape, '`');
  EXPECT_EQ(only<RunCmd>(df).cmdline.args, std::vector<std::string>{"echo a   b"});
  // With ` as escape, a trailing backslash is text (Windows paths).
  df = parse_ok("# escape=`\nFROM x\nWORKDIR c:\\\nRUN dir\n");
  EXPECT_EQ(only<WorkdirCmd>(df).path, "c:\\");
  EXPECT_EQ(df.stages[0].commands.size(), 2u);
  // A directive after a comment, an empty line or an instruction is just a comment.
  EXPECT_EQ(parse_ok("# hello\n# escape=`\nFROM x\n").escape, '\\');
  EXPECT_EQ(parse_ok("\n# escape=`\nFROM x\n").escape, '\\');
  EXPECT_EQ(parse_ok("FROM x\n# escape=`\n").escape, '\\');
  EXPECT_EQ(parse_ok("# unknown=1\n# escape=`\nFROM x\n").escape, '\\');
}

TEST(DockerfileParser, BadDirectives) {
  EXPECT_EQ(parse_err("# escape=x\nFROM x\n"),
            "Dockerfile parse error on line 1: invalid escape token 'x' does not match ` or \\");
  EXPECT_EQ(parse_err("# escape=\\\n# escape=`\nFROM x\n"),
            "Dockerfile parse error on line 2: only one escape parser directive can be used");
}

TEST(DockerfileParser, ContinuationsSkipCommentsAndEmptyLines) {
  auto df = parse_ok(
      "FROM x\n"
      "RUN echo a \\\n"
      "# a comment inside\n"
      "   # another\n"
      "\n"
      "  && echo b \\  \n"
      "c\n"
      "RUN last\n");
  const auto& run = only<RunCmd>(df);
  EXPECT_EQ(run.cmdline.args, std::vector<std::string>{"echo a   && echo b c"});
  EXPECT_EQ(df.stages[0].commands[0].line, 2);
  EXPECT_EQ(df.stages[0].commands[0].end_line, 7);
  EXPECT_EQ(df.stages[0].commands[1].line, 8);
  ASSERT_EQ(df.warnings.size(), 2u);
  EXPECT_NE(df.warnings[0].find("Empty continuation line"), std::string::npos);
  // CRLF line ends and a BOM are read too.
  df = parse_ok("\xEF\xBB\xBF" "FROM x\r\nRUN a \\\r\n b\r\n");
  EXPECT_EQ(only<RunCmd>(df).cmdline.args, std::vector<std::string>{"a  b"});
}

TEST(DockerfileParser, ShellAndExecForms) {
  auto df = parse_ok(
      "FROM x\n"
      "CMD [\"/bin/app\", \"-x\"]\n"
      "ENTRYPOINT echo $HOME\n"
      "RUN [ -f /etc/passwd ]\n"   // not JSON: the shell's test command
      "CMD [\"a\", 'b']\n"         // not valid JSON: shell form
      "ENTRYPOINT []\n");
  auto& c = df.stages[0].commands;
  auto& cmd = std::get<CmdCmd>(c[0].payload).cmdline;
  EXPECT_FALSE(cmd.prepend_shell);
  EXPECT_EQ(cmd.args, (std::vector<std::string>{"/bin/app", "-x"}));
  auto& ep = std::get<EntrypointCmd>(c[1].payload).cmdline;
  EXPECT_TRUE(ep.prepend_shell);
  EXPECT_EQ(ep.args, std::vector<std::string>{"echo $HOME"});
  EXPECT_EQ(std::get<RunCmd>(c[2].payload).cmdline.args, std::vector<std::string>{"[ -f /etc/passwd ]"});
  EXPECT_TRUE(std::get<CmdCmd>(c[3].payload).cmdline.prepend_shell);
  EXPECT_TRUE(std::get<EntrypointCmd>(c[4].payload).cmdline.args.empty());
  // A JSON array of something other than strings is an error, not the shell form.
  EXPECT_EQ(parse_err("FROM x\nCMD [\"a\", 1]\n"),
            "Dockerfile parse error on line 2: when using JSON array syntax, arrays must be comprised of strings only");
  // An unterminated array is the shell form, as in Docker, except for SHELL (JSON only).
  EXPECT_EQ(parse_err("FROM x\nRUN true\nSHELL [\"/bin/sh\", \"-c\"\n"),
            "Dockerfile parse error on line 3: SHELL requires the arguments to be in JSON form");
  EXPECT_EQ(only<CmdCmd>(parse_ok("FROM x\nCMD [\"a\"\n")).cmdline.args, std::vector<std::string>{"[\"a\""});
}

TEST(DockerfileParser, EnvLabelArgForms) {
  auto df = parse_ok(
      "FROM x\n"
      "ENV k v with  spaces\n"
      "ENV a=1 b=\"two words\" c='x y' d=\\ e\n"
      "LABEL \"com.example.vendor\"=\"ACME\" version=1.0\n"
      "ARG A B=2 C=\n");
  auto& env1 = only<EnvCmd>(df, 0).vars;
  ASSERT_EQ(env1.size(), 1u);
  EXPECT_EQ(env1[0], (KeyValue{"k", "v with  spaces"}));
  auto& env2 = only<EnvCmd>(df, 1).vars;
  ASSERT_EQ(env2.size(), 4u);
  EXPECT_EQ(env2[1], (KeyValue{"b", "\"two words\""}));  // quotes go at expansion
  EXPECT_EQ(env2[2], (KeyValue{"c", "'x y'"}));
  EXPECT_EQ(env2[3], (KeyValue{"d", "\\ e"}));
  auto& labels = only<LabelCmd>(df, 2).labels;
  EXPECT_EQ(labels[0], (KeyValue{"\"com.example.vendor\"", "\"ACME\""}));
  auto& args = only<ArgCmd>(df, 3).args;
  ASSERT_EQ(args.size(), 3u);
  EXPECT_EQ(args[0], (ArgDecl{"A", std::nullopt}));
  EXPECT_EQ(args[1], (ArgDecl{"B", "2"}));
  EXPECT_EQ(args[2], (ArgDecl{"C", ""}));
}

TEST(DockerfileParser, EnvLabelArgErrors) {
  EXPECT_EQ(parse_err("FROM x\nENV k\n"), "Dockerfile parse error on line 2: ENV must have two arguments");
  EXPECT_EQ(parse_err("FROM x\nENV a=1 b\n"),
            "Dockerfile parse error on line 2: Syntax error - can't find = in \"b\". Must be of the form: name=value");
  EXPECT_EQ(parse_err("FROM x\nLABEL =v\n"), "Dockerfile parse error on line 2: LABEL names can not be blank");
  EXPECT_EQ(parse_err("FROM x\nARG =v\n"), "Dockerfile parse error on line 2: ARG names can not be blank");
  EXPECT_EQ(parse_err("FROM x\nARG\n"), "Dockerfile parse error on line 2: ARG requires at least one argument");
  auto e = parse_err("FROM x\n\nARG 1abc=2\n");
  EXPECT_TRUE(e.starts_with("Dockerfile parse error on line 3: invalid ARG name \"1abc\"")) << e;
  EXPECT_TRUE(parse_err("ARG a-b\nFROM x\n").starts_with("Dockerfile parse error on line 1: invalid ARG name"));
}

TEST(DockerfileParser, Heredocs) {
  auto df = parse_ok(
      "FROM x\n"
      "RUN <<EOF\n"
      "echo $HOME\n"
      "EOF\n"
      "RUN <<-\"END\" cat >/a && 3<<'TWO' cat\n"
      "\t\tindented $X\n"
      "\tEND\n"
      "second\n"
      "TWO\n"
      "COPY <<file1 <<file2 /dest/\n"
      "one\n"
      "file1\n"
      "two\n"
      "file2\n"
      "RUN [\"cat\", \"<<EOF\"]\n"
      "CMD <<EOF\n");
  auto& c = df.stages[0].commands;
  auto& r1 = std::get<RunCmd>(c[0].payload).cmdline;
  EXPECT_EQ(c[0].line, 2);
  EXPECT_EQ(c[0].end_line, 4);
  ASSERT_EQ(r1.files.size(), 1u);
  EXPECT_EQ(r1.files[0].name, "EOF");
  EXPECT_EQ(r1.files[0].content, "echo $HOME\n");
  EXPECT_TRUE(r1.files[0].expand);
  EXPECT_EQ(r1.args, std::vector<std::string>{"<<EOF"});

  auto& r2 = std::get<RunCmd>(c[1].payload).cmdline;
  ASSERT_EQ(r2.files.size(), 2u);
  EXPECT_EQ(r2.files[0].name, "END");
  EXPECT_FALSE(r2.files[0].expand);
  EXPECT_TRUE(r2.files[0].chomp);
  EXPECT_EQ(r2.files[0].content, "indented $X\n");
  EXPECT_EQ(r2.files[1].name, "TWO");
  EXPECT_EQ(r2.files[1].fd, 3);
  EXPECT_FALSE(r2.files[1].expand);
  EXPECT_EQ(r2.files[1].content, "second\n");

  auto& cp = std::get<CopyCmd>(c[2].payload);
  EXPECT_TRUE(cp.sources.empty());
  ASSERT_EQ(cp.inline_files.size(), 2u);
  EXPECT_EQ(cp.inline_files[0].name, "file1");
  EXPECT_EQ(cp.inline_files[0].content, "one\n");
  EXPECT_EQ(cp.inline_files[1].content, "two\n");
  EXPECT_EQ(cp.dest, "/dest/");
  EXPECT_EQ(c[3].line, 15);  // the JSON form opens no heredoc
  EXPECT_TRUE(std::get<RunCmd>(c[3].payload).cmdline.files.empty());
  EXPECT_EQ(c[4].line, 16);  // nor does CMD
}

TEST(DockerfileParser, HeredocErrors) {
  EXPECT_EQ(parse_err("FROM x\nRUN <<EOF\necho\nEOF2\n"), "Dockerfile parse error on line 2: unterminated heredoc");
  EXPECT_EQ(parse_err("FROM x\nRUN <<A <<B\na\nA\nb\n"), "Dockerfile parse error on line 2: unterminated heredoc");
  EXPECT_EQ(parse_err("FROM x\nCOPY a <<EOF\nx\nEOF\n"),
            "Dockerfile parse error on line 2: COPY cannot accept a heredoc as a destination");
}

TEST(DockerfileParser, Flags) {
  auto df = parse_ok(
      "FROM x\n"
      "COPY --chown=1:2 --chmod=0755 --link --from=0 a b\n"
      "ADD --link=false --chown=\"a b\" x y\n"
      "RUN --mount=type=cache,target=/root/.cache --mount=type=bind,from=b,source=/s,target=/t,rw --network=none make\n"
      "COPY -- --weird /d\n");
  auto& cp = only<CopyCmd>(df, 0);
  EXPECT_EQ(cp.chown, "1:2");
  EXPECT_EQ(cp.chmod, "0755");
  EXPECT_TRUE(cp.link);
  EXPECT_EQ(cp.from, "0");
  EXPECT_EQ(cp.sources, std::vector<std::string>{"a"});
  auto& add = only<CopyCmd>(df, 1);
  EXPECT_TRUE(add.add);
  EXPECT_FALSE(add.link);
  EXPECT_EQ(add.chown, "a b");
  auto& run = only<RunCmd>(df, 2);
  ASSERT_EQ(run.mounts.size(), 2u);
  EXPECT_EQ(run.mounts[0].type, MountType::Cache);
  EXPECT_EQ(run.mounts[0].id, "/root/.cache");
  EXPECT_EQ(run.mounts[1].from, "b");
  EXPECT_FALSE(run.mounts[1].readonly);
  EXPECT_EQ(run.network, "none");
  EXPECT_EQ(run.cmdline.args, std::vector<std::string>{"make"});
  EXPECT_EQ(only<CopyCmd>(df, 3).sources, std::vector<std::string>{"--weird"});
}

TEST(DockerfileParser, FlagErrors) {
  EXPECT_EQ(parse_err("FROM x\nCOPY --foo=1 a b\n"), "Dockerfile parse error on line 2: unknown flag: foo");
  EXPECT_EQ(parse_err("FROM x\nADD --from=x a b\n"), "Dockerfile parse error on line 2: unknown flag: from");
  EXPECT_EQ(parse_err("FROM x\nCOPY --from a b\n"), "Dockerfile parse error on line 2: missing a value on flag: from");
  EXPECT_EQ(parse_err("FROM x\nCOPY --from=a --from=b a b\n"),
            "Dockerfile parse error on line 2: duplicate flag specified: from");
  EXPECT_EQ(parse_err("FROM x\nCOPY --link=maybe a b\n"),
            "Dockerfile parse error on line 2: expecting boolean value for flag link, not: maybe");
  EXPECT_EQ(parse_err("FROM x\nENV --x=1 a=b\n"), "Dockerfile parse error on line 2: unknown flag: x");
  EXPECT_EQ(parse_err("FROM x\nRUN --network=bridge true\n"),
            "Dockerfile parse error on line 2: unsupported network mode \"bridge\" (none, host or default)");
  EXPECT_EQ(parse_err("FROM x\nRUN --mount=type=cache,foo=1,target=/x true\n"),
            "Dockerfile parse error on line 2: --mount=type=cache,foo=1,target=/x: unexpected key 'foo' in 'foo=1'");
  EXPECT_EQ(parse_err("FROM x\nRUN --mount=type=nfs,target=/x true\n"),
            "Dockerfile parse error on line 2: --mount=type=nfs,target=/x: unsupported mount type \"nfs\"");
}

TEST(DockerfileParser, EveryInstruction) {
  auto df = parse_ok(
      "FROM busybox AS base\n"
      "MAINTAINER someone <a@b>\n"
      "EXPOSE 80/tcp 443\n"
      "WORKDIR /app dir\n"
      "USER 1000:1000\n"
      "VOLUME [\"/data\", \"/logs\"]\n"
      "VOLUME /a /b\n"
      "STOPSIGNAL SIGUSR1\n"
      "HEALTHCHECK --interval=1m30s --timeout=500ms --start-period=2s --start-interval=1s --retries=3 CMD curl -f x\n"
      "HEALTHCHECK CMD [\"/bin/check\", \"a\"]\n"
      "HEALTHCHECK none\n"
      "SHELL [\"/bin/bash\", \"-c\"]\n"
      "ONBUILD RUN make\n"
      "ONBUILD copy . /src\n");
  auto& c = df.stages[0].commands;
  EXPECT_EQ(std::get<MaintainerCmd>(c[0].payload).name, "someone <a@b>");
  EXPECT_EQ(std::get<ExposeCmd>(c[1].payload).ports, (std::vector<std::string>{"80/tcp", "443"}));
  EXPECT_EQ(std::get<WorkdirCmd>(c[2].payload).path, "/app dir");
  EXPECT_EQ(std::get<UserCmd>(c[3].payload).user, "1000:1000");
  EXPECT_EQ(std::get<VolumeCmd>(c[4].payload).paths, (std::vector<std::string>{"/data", "/logs"}));
  EXPECT_EQ(std::get<VolumeCmd>(c[5].payload).paths, (std::vector<std::string>{"/a", "/b"}));
  EXPECT_EQ(std::get<StopSignalCmd>(c[6].payload).signal, "SIGUSR1");
  auto& h = std::get<HealthcheckCmd>(c[7].payload);
  EXPECT_EQ(h.test, (std::vector<std::string>{"CMD-SHELL", "curl -f x"}));
  EXPECT_EQ(h.interval, std::chrono::seconds(90));
  EXPECT_EQ(h.timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(h.start_period, std::chrono::seconds(2));
  EXPECT_EQ(h.start_interval, std::chrono::seconds(1));
  EXPECT_EQ(h.retries, 3);
  EXPECT_EQ(std::get<HealthcheckCmd>(c[8].payload).test, (std::vector<std::string>{"CMD", "/bin/check", "a"}));
  EXPECT_EQ(std::get<HealthcheckCmd>(c[9].payload).test, std::vector<std::string>{"NONE"});
  EXPECT_EQ(std::get<ShellCmd>(c[10].payload).shell, (std::vector<std::string>{"/bin/bash", "-c"}));
  EXPECT_EQ(std::get<OnbuildCmd>(c[11].payload).expression, "RUN make");
  EXPECT_EQ(std::get<OnbuildCmd>(c[12].payload).expression, "copy . /src");
  EXPECT_EQ(c[12].command, Command::Onbuild);
  EXPECT_EQ(command_name(c[12].command), "ONBUILD");
}

TEST(DockerfileParser, InstructionErrorsNameTheLine) {
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"FROM x\nFOO bar\n", "Dockerfile parse error on line 2: unknown instruction: FOO (did you mean FROM?)"},
      {"FROM x\nBOGUS bar\n", "Dockerfile parse error on line 2: unknown instruction: BOGUS"},
      {"FROM x\n\nRUN a \\\n b\nfoo\n", "Dockerfile parse error on line 5: unknown instruction: foo (did you mean from?)"},
      {"FROM x\nRUNN echo\n", "Dockerfile parse error on line 2: unknown instruction: RUNN (did you mean RUN?)"},
      {"FROM x\nworkdri /a\n", "Dockerfile parse error on line 2: unknown instruction: workdri (did you mean workdir?)"},
      {"RUN echo\n", "Dockerfile parse error on line 1: no build stage in current context"},
      {"ARG a\n# c\nENV x=1\nFROM x\n", "Dockerfile parse error on line 3: no build stage in current context"},
      {"FROM\n", "Dockerfile parse error on line 1: FROM requires either one or three arguments"},
      {"FROM a b\n", "Dockerfile parse error on line 1: FROM requires either one or three arguments"},
      {"FROM a AS 1st\n",
       "Dockerfile parse error on line 1: invalid name for build stage: \"1st\", name can't start with a number or "
       "contain symbols"},
      {"FROM a\nCOPY onlyone\n",
       "Dockerfile parse error on line 2: COPY requires at least two arguments, but only one was provided. Destination "
       "could not be determined"},
      {"FROM a\nWORKDIR\n", "Dockerfile parse error on line 2: WORKDIR requires exactly one argument"},
      {"FROM a\nEXPOSE\n", "Dockerfile parse error on line 2: EXPOSE requires at least one argument"},
      {"FROM a\nVOLUME [\"\"]\n", "Dockerfile parse error on line 2: VOLUME specified can not be an empty string"},
      {"FROM a\nSHELL /bin/sh -c\n", "Dockerfile parse error on line 2: SHELL requires the arguments to be in JSON form"},
      {"FROM a\nSHELL []\n", "Dockerfile parse error on line 2: SHELL requires at least one argument"},
      {"FROM a\nONBUILD ONBUILD RUN x\n",
       "Dockerfile parse error on line 2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"},
      {"FROM a\nONBUILD FROM x\n", "Dockerfile parse error on line 2: FROM isn't allowed as an ONBUILD trigger"},
      {"FROM a\nONBUILD maintainer x\n",
       "Dockerfile parse error on line 2: MAINTAINER isn't allowed as an ONBUILD trigger"},
      {"FROM a\nHEALTHCHECK NONE x\n", "Dockerfile parse error on line 2: HEALTHCHECK NONE takes no arguments"},
      {"FROM a\nHEALTHCHECK CMD\n", "Dockerfile parse error on line 2: Missing command after HEALTHCHECK CMD"},
      {"FROM a\nHEALTHCHECK FOO x\n", "Dockerfile parse error on line 2: Unknown type \"FOO\" in HEALTHCHECK (try CMD)"},
      {"FROM a\nHEALTHCHECK --interval=10 CMD x\n",
       "Dockerfile parse error on line 2: time: missing unit in duration \"10\""},
      {"FROM a\nHEALTHCHECK --timeout=1us CMD x\n",
       "Dockerfile parse error on line 2: Interval \"timeout\" cannot be less than 1ms"},
      {"FROM a\nHEALTHCHECK --retries=0 CMD x\n",
       "Dockerfile parse error on line 2: --retries must be at least 1 (not 0)"},
      {"FROM a\nHEALTHCHECK --retries=x CMD x\n",
       "Dockerfile parse error on line 2: strconv.ParseInt: parsing \"x\": invalid syntax"},
  };
  for (auto& c : cases) EXPECT_EQ(parse_err(c.text), c.message) << c.text;
}

TEST(DockerfileParser, EmptyFiles) {
  EXPECT_EQ(parse_err(""), "Dockerfile parse error: file with no instructions");
  EXPECT_EQ(parse_err("# only\n\n   \n"), "Dockerfile parse error: file with no instructions");
  EXPECT_EQ(parse_err("ARG x\n"), "dockerfile contains no stages to build");
}

TEST(DockerfileParser, OnbuildTriggersParseInTheChild) {
  auto df = parse_ok("FROM x\nONBUILD COPY <<EOF /greeting\nhello\nEOF\nONBUILD RUN make\n");
  std::vector<std::string> triggers;
  for (auto& c : df.stages[0].commands) triggers.push_back(std::get<OnbuildCmd>(c.payload).expression);
  EXPECT_EQ(triggers[0], "COPY <<EOF /greeting\nhello\nEOF");
  auto parsed = parse_onbuild_triggers(triggers);
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->size(), 2u);
  auto& cp = std::get<CopyCmd>((*parsed)[0].payload);
  ASSERT_EQ(cp.inline_files.size(), 1u);
  EXPECT_EQ(cp.inline_files[0].content, "hello\n");
  EXPECT_EQ(cp.dest, "/greeting");
  EXPECT_EQ(std::get<RunCmd>((*parsed)[1].payload).cmdline.args, std::vector<std::string>{"make"});
  // An image can carry triggers no Dockerfile could write: refused when they fire.
  auto bad = parse_onbuild_triggers({"FROM evil"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "FROM isn't allowed as an ONBUILD trigger");
  bad = parse_onbuild_triggers({"BOGUS x"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "parse ONBUILD triggers: Dockerfile parse error on line 1: unknown instruction: BOGUS");
}
