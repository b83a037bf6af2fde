// OCI hooks run as real processes: state on stdin, exact args/env, timeouts, failure messages.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "common/fs.hpp"
#include "common/process.hpp"
#include "runtime/hooks.hpp"
#include "support/support.hpp"

using berth::runtime::Hook;
using berth::runtime::run_hooks;

namespace {

Hook sh_hook(const std::string& script, std::vector<std::string> env = {}, std::optional<int> timeout = {}) {
  Hook h;
  h.path = "/bin/sh";
  h.args = {"sh", "-c", script};
  h.has_env = true;
  h.env = std::move(env);
  h.timeout = timeout;
  return h;
}

const std::string kState = R"({"ociVersion":"1.2.0","id":"hooked","status":"created","pid":4242,"bundle":"/b"})";

}  // namespace

TEST(Hooks, StateArrivesOnStdin) {
  berth::test::TempDir tmp;
  std::string out = tmp / "state";
  auto r = run_hooks({sh_hook("cat > \"$OUT\"", {"OUT=" + out})}, "prestart", kState);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(berth::test::read_text(out), kState);
}

TEST(Hooks, StdinCanBeOpenedByPath) {
  // Scripts often read the state with `cat /dev/stdin` or `jq . /dev/stdin`.
  berth::test::TempDir tmp;
  std::string out = tmp / "state";
  auto r = run_hooks({sh_hook("cat /dev/stdin > \"$OUT\"", {"OUT=" + out})}, "prestart", kState);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(berth::test::read_text(out), kState);
}

TEST(Hooks, HookExitingWithoutReadingDoesNotRaiseSigpipe) {
  std::string big(1 << 20, 'x');
  auto r = run_hooks({sh_hook("exec 0<&-; exit 0", {}, 10)}, "prestart", big);
  EXPECT_TRUE(r) << r.error().what();
  sigset_t pending;
  sigpending(&pending);
  EXPECT_FALSE(sigismember(&pending, SIGPIPE)) << "a SIGPIPE from the hook's stdin is left pending";
}

TEST(Hooks, EnvironmentIsExactlyTheGivenOne) {
  berth::test::TempDir tmp;
  std::string out = tmp / "env";
  // /proc/PID/environ is what execve received, before the shell adds anything of its own.
  auto r = run_hooks({sh_hook("tr '\\0' '\\n' < /proc/$$/environ > \"$OUT\"", {"OUT=" + out, "FOO=bar baz"})},
                     "createRuntime", kState);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(berth::test::read_text(out), "OUT=" + out + "\nFOO=bar baz\n");
}

TEST(Hooks, EmptyEnvStaysEmpty) {
  berth::test::TempDir tmp;
  std::string out = tmp / "env";
  auto r = run_hooks({sh_hook("wc -c < /proc/$$/environ > " + out)}, "poststart", kState);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(berth::trim(berth::test::read_text(out)), "0");
}

TEST(Hooks, AbsentEnvInheritsTheRuntimesEnvironment) {
  berth::test::TempDir tmp;
  std::string out = tmp / "env";
  Hook h = sh_hook("tr '\\0' '\\n' < /proc/$$/environ > " + out);
  h.has_env = false;  // config.json without "env", as runc treats it
  setenv("BERTH_HOOK_PROBE", "inherited", 1);
  auto r = run_hooks({h}, "poststart", kState);
  unsetenv("BERTH_HOOK_PROBE");
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_NE(berth::test::read_text(out).find("BERTH_HOOK_PROBE=inherited\n"), std::string::npos);
}

TEST(Hooks, ArgsZeroIsArgvZero) {
  berth::test::TempDir tmp;
  std::string out = tmp / "argv";
  Hook h;
  h.path = "/bin/sh";
  h.args = {"my-hook-name", "-c", "tr '\\0' '|' < /proc/$$/cmdline > \"$OUT\"", "zero", "one"};
  h.has_env = true;
  h.env = {"OUT=" + out};
  auto r = run_hooks({h}, "prestart", kState);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(berth::test::read_text(out), "my-hook-name|-c|" + h.args[2] + "|zero|one|");
}

TEST(Hooks, NoArgsMeansPathAsArgvZero) {
  berth::test::TempDir tmp;
  std::string script = tmp / "hook.sh";
  std::string out = tmp / "argv0";
  berth::test::write_text(script, "#!/bin/sh\necho \"$0\" > " + out + "\n");
  chmod(script.c_str(), 0755);
  Hook h;
  h.path = script;
  auto r = run_hooks({h}, "prestart", kState);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(berth::test::read_text(out), script + "\n");
}

TEST(Hooks, NonZeroExitFailsWithStatusAndStderr) {
  auto r = run_hooks({sh_hook("echo 'network setup failed' >&2; exit 3")}, "prestart", kState);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(), "prestart hook /bin/sh: exited 3: network setup failed");
}

TEST(Hooks, StdoutReportedWhenStderrIsEmpty) {
  auto r = run_hooks({sh_hook("echo 'only on stdout'; exit 1")}, "poststop", kState);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(), "poststop hook /bin/sh: exited 1: only on stdout");
}

TEST(Hooks, KilledBySignal) {
  auto r = run_hooks({sh_hook("kill -TERM $$")}, "poststart", kState);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(), "poststart hook /bin/sh: killed by SIGTERM");
}

TEST(Hooks, FirstFailureStopsTheList) {
  berth::test::TempDir tmp;
  std::string first = tmp / "first", third = tmp / "third";
  auto r = run_hooks({sh_hook("touch " + first), sh_hook("exit 7"), sh_hook("touch " + third)}, "prestart", kState);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find("exited 7"), std::string::npos) << r.error().what();
  EXPECT_EQ(access(first.c_str(), F_OK), 0);
  EXPECT_NE(access(third.c_str(), F_OK), 0) << "a hook after the failed one ran";
}

TEST(Hooks, TimeoutKillsHookAndItsChildren) {
  berth::test::TempDir tmp;
  std::string pidfile = tmp / "child.pid";
  auto start = std::chrono::steady_clock::now();
  auto r = run_hooks({sh_hook("sleep 60 & echo $! > " + pidfile + "; echo slow >&2; wait", {}, 1)}, "createRuntime",
                     kState);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(), "createRuntime hook /bin/sh: timed out after 1s: slow");
  EXPECT_LT(took, std::chrono::seconds(5));
  pid_t child = std::stoi(berth::test::read_text(pidfile));
  EXPECT_TRUE(berth::test::wait_until([&] { return !berth::process_running(child); }, std::chrono::seconds(5)))
      << "the hook's background child " << child << " survived the timeout";
  kill(child, SIGKILL);
}

TEST(Hooks, FastHookWithinTimeoutSucceeds) {
  auto r = run_hooks({sh_hook("exit 0", {}, 5)}, "prestart", kState);
  EXPECT_TRUE(r) << r.error().what();
}

TEST(Hooks, HookIgnoringLargeStdinDoesNotHang) {
  std::string big(4 << 20, 'x');  // far more than a socket buffer
  auto start = std::chrono::steady_clock::now();
  auto r = run_hooks({sh_hook("exit 0", {}, 10)}, "prestart", big);
  EXPECT_TRUE(r) << r.error().what();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(Hooks, MissingExecutableIsReported) {
  Hook h;
  h.path = "/nonexistent/berth-hook";
  auto r = run_hooks({h}, "prestart", kState);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().errnum, ENOENT);
  EXPECT_EQ(r.error().message, "prestart hook /nonexistent/berth-hook: exec");
}

TEST(Hooks, RelativePathRefused) {
  Hook h;
  h.path = "bin/true";
  auto r = run_hooks({h}, "prestart", kState);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(), "prestart hook bin/true: path must be absolute");
}

TEST(Hooks, RuntimeFdsDoNotLeakIntoHooks) {
  int leaked = dup2(STDERR_FILENO, 77);  // deliberately without O_CLOEXEC
  ASSERT_EQ(leaked, 77);
  auto r = run_hooks({sh_hook("if [ -e /proc/$$/fd/77 ]; then echo 'fd 77 leaked'; exit 9; fi")}, "prestart", kState);
  close(leaked);
  EXPECT_TRUE(r) << r.error().what();
}

TEST(Hooks, EmptyListIsFine) {
  EXPECT_TRUE(run_hooks({}, "poststop", kState));
}
