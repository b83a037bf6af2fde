// Random and truncated inputs through every parser: each either parses or fails with a message,
// never crashes or hangs (run under `make asan` to catch memory errors too).
#include <gtest/gtest.h>

#include <random>

#include "engine/build/dockerfile_parser.hpp"
#include "engine/build/dockerignore.hpp"
#include "engine/build/run_mount.hpp"
#include "engine/build/shell_lex.hpp"

using namespace berth::engine::build;

namespace {

const std::string kAlphabet = "FROMRUNCOPYADDENVARGHEALTHCHECK \t\n\\`$'\"{}[]:-+?=<>#,*!/.012aZ\r\x01\xff";

std::string random_text(std::mt19937& rng, size_t max_len) {
  std::uniform_int_distribution<size_t> len(0, max_len), pick(0, kAlphabet.size() - 1);
  std::string s(len(rng), ' ');
  for (auto& c : s) c = kAlphabet[pick(rng)];
  return s;
}

const char* kSeed =
    "# escape=`\n"
    "ARG A=${B:-\"x y\"}\n"
    "FROM --platform=$P img AS s1\n"
    "RUN --mount=type=cache,target=/c,id=x <<EOF cat `\n"
    "  && echo\n"
    "body $A\n"
    "EOF\n"
    "COPY --from=s1 [\"a\", \"b\"] /d/\n"
    "HEALTHCHECK --interval=1s CMD [\"x\"]\n"
    "ENV a=1 b=\"2 3\" c='4'\n";

}  // namespace

TEST(HostileInput, RandomTextNeverCrashesTheParsers) {
  std::mt19937 rng(20261130);
  for (int i = 0; i < 3000; ++i) {
    std::string text = random_text(rng, 120);
    auto df = parse_dockerfile("FROM x\n" + text);
    if (!df) {
      EXPECT_FALSE(df.error().message.empty());
    }
    auto w = expand_words(text, Vars{{"B", "b c"}});
    if (!w) {
      EXPECT_FALSE(w.error().message.empty());
    }
    auto ig = Dockerignore::parse(text);
    if (ig) (void)ig->excluded(text);
    auto m = parse_run_mount(text);
    if (!m) {
      EXPECT_FALSE(m.error().message.empty());
    }
  }
}

TEST(HostileInput, EveryTruncationOfARealDockerfile) {
  std::string seed = kSeed;
  ASSERT_TRUE(parse_dockerfile(seed)) << parse_dockerfile(seed).error().message;
  for (size_t n = 0; n <= seed.size(); ++n) {
    auto df = parse_dockerfile(seed.substr(0, n));
    if (!df) {
      EXPECT_FALSE(df.error().message.empty()) << n;
    }
  }
}

TEST(HostileInput, DeepAndLongInputs) {
  // A huge continuation, a long heredoc, deep JSON and deep ${:-} nesting stay bounded.
  std::string cont = "FROM x\nRUN a";
  for (int i = 0; i < 20000; ++i) cont += " \\\n b";
  auto df = parse_dockerfile(cont + "\n");
  ASSERT_TRUE(df);
  EXPECT_EQ(df->stages[0].commands[0].end_line, 20002);
  std::string json = "FROM x\nCMD " + std::string(200000, '[') + std::string(200000, ']') + "\n";
  EXPECT_FALSE(parse_dockerfile(json));  // an array of arrays: not strings
  std::string nest;
  for (int i = 0; i < 2000; ++i) nest += "${U:-";
  nest += "x" + std::string(2000, '}');
  EXPECT_FALSE(expand_word(nest, {}));  // deeper than any real Dockerfile goes
  EXPECT_EQ(expand_word(nest, {}).error().message, "syntax error: substitutions nested too deeply");
  nest.clear();
  for (int i = 0; i < 100; ++i) nest += "${U:-";
  EXPECT_EQ(*expand_word(nest + "x" + std::string(100, '}'), {}), "x");
}
