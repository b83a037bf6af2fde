// linux.seccomp validation: every bad profile is refused with a message naming the field.
// Compiling touches no kernel state (the filter is only built, never loaded here).
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "runtime/seccomp/seccomp.hpp"

using berth::runtime::compile_seccomp;
using nlohmann::json;

namespace {

std::string seccomp_error_of(const json& profile) {
  auto r = compile_seccomp(profile);
  if (r) return "(compiled)";
  EXPECT_EQ(r.error().kind, berth::ErrorKind::Invalid) << r.error().what();
  return r.error().what();
}

// These tests compile many throwaway profiles: keep them out of the shared program cache.

json base() { return json{{"defaultAction", "SCMP_ACT_ALLOW"}}; }

json with_rule(json rule) {
  json p = base();
  p["syscalls"] = json::array({json{{"names", {"getcwd"}}, {"action", "SCMP_ACT_ERRNO"}}, std::move(rule)});
  return p;
}

}  // namespace

TEST(SeccompValidation, MinimalProfileCompiles) {
  auto r = compile_seccomp(base());
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_FALSE(r->uses_notify());
}

TEST(SeccompValidation, NotAnObject) {
  EXPECT_EQ(seccomp_error_of(json::array()), "linux.seccomp: expected object, got array");
}

TEST(SeccompValidation, DefaultActionMissingOrUnknown) {
  EXPECT_EQ(seccomp_error_of(json::object()), "linux.seccomp.defaultAction: required field is missing");
  EXPECT_EQ(seccomp_error_of(json{{"defaultAction", "SCMP_ACT_FOO"}}),
            "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_FOO\"");
  EXPECT_EQ(seccomp_error_of(json{{"defaultAction", 3}}), "linux.seccomp.defaultAction: expected string, got number");
}

TEST(SeccompValidation, DefaultErrnoRetOnlyWithErrnoOrTrace) {
  EXPECT_EQ(seccomp_error_of(json{{"defaultAction", "SCMP_ACT_ALLOW"}, {"defaultErrnoRet", 1}}),
            "linux.seccomp.defaultErrnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_ALLOW");
  EXPECT_TRUE(compile_seccomp(json{{"defaultAction", "SCMP_ACT_ERRNO"}, {"defaultErrnoRet", 38}}));
  EXPECT_EQ(seccomp_error_of(json{{"defaultAction", "SCMP_ACT_ERRNO"}, {"defaultErrnoRet", -1}}),
            "linux.seccomp.defaultErrnoRet: must not be negative");
  EXPECT_EQ(seccomp_error_of(json{{"defaultAction", "SCMP_ACT_ERRNO"}, {"defaultErrnoRet", 70000}}),
            "linux.seccomp.defaultErrnoRet: value 70000 out of range (max 65535)");
}

TEST(SeccompValidation, NotifyAsDefaultRefused) {
  EXPECT_EQ(seccomp_error_of(json{{"defaultAction", "SCMP_ACT_NOTIFY"}, {"listenerPath", "/run/x.sock"}}),
            "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
}

TEST(SeccompValidation, UnknownActionNamesSyscallIndex) {
  EXPECT_EQ(seccomp_error_of(with_rule({{"names", {"mkdir"}}, {"action", "SCMP_ACT_FOO"}})),
            "linux.seccomp.syscalls[1].action: unknown action \"SCMP_ACT_FOO\"");
  EXPECT_EQ(seccomp_error_of(with_rule({{"names", {"mkdir"}}})), "linux.seccomp.syscalls[1].action: required field is missing");
}

TEST(SeccompValidation, ErrnoRetWithWrongAction) {
  EXPECT_EQ(seccomp_error_of(with_rule({{"names", {"mkdir"}}, {"action", "SCMP_ACT_KILL"}, {"errnoRet", 5}})),
            "linux.seccomp.syscalls[1].errnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_KILL");
  EXPECT_EQ(seccomp_error_of(with_rule({{"names", {"mkdir"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", "EPERM"}})),
            "linux.seccomp.syscalls[1].errnoRet: expected unsigned integer, got string");
}

TEST(SeccompValidation, NamesRequiredNonEmptyStrings) {
  EXPECT_EQ(seccomp_error_of(with_rule({{"action", "SCMP_ACT_ERRNO"}})),
            "linux.seccomp.syscalls[1].names: must contain at least one syscall name");
  EXPECT_EQ(seccomp_error_of(with_rule({{"names", json::array()}, {"action", "SCMP_ACT_ERRNO"}})),
            "linux.seccomp.syscalls[1].names: must contain at least one syscall name");
  EXPECT_EQ(seccomp_error_of(with_rule({{"names", {"mkdir", 7}}, {"action", "SCMP_ACT_ERRNO"}})),
            "linux.seccomp.syscalls[1].names[1]: expected string, got number");
  EXPECT_EQ(seccomp_error_of(with_rule({{"names", {""}}, {"action", "SCMP_ACT_ERRNO"}})),
            "linux.seccomp.syscalls[1].names[0]: empty syscall name");
  EXPECT_EQ(seccomp_error_of(with_rule({{"names", "mkdir"}, {"action", "SCMP_ACT_ERRNO"}})),
            "linux.seccomp.syscalls[1].names: expected array, got string");
}

TEST(SeccompValidation, UnknownSyscallNamesAreSkipped) {
  // Profiles list syscalls of newer kernels and other architectures; runc skips them.
  auto r = compile_seccomp(
      with_rule({{"names", {"no_such_syscall_berth", "mkdir"}}, {"action", "SCMP_ACT_ERRNO"}}));
  EXPECT_TRUE(r) << r.error().what();
}

TEST(SeccompValidation, ArgsChecked) {
  auto rule = [](json arg) {
    return with_rule({{"names", {"personality"}}, {"action", "SCMP_ACT_ERRNO"}, {"args", json::array({arg})}});
  };
  EXPECT_EQ(seccomp_error_of(rule({{"index", 6}, {"value", 1}, {"op", "SCMP_CMP_EQ"}})),
            "linux.seccomp.syscalls[1].args[0].index: value 6 out of range (max 5)");
  EXPECT_EQ(seccomp_error_of(rule({{"value", 1}, {"op", "SCMP_CMP_EQ"}})),
            "linux.seccomp.syscalls[1].args[0].index: required field is missing");
  EXPECT_EQ(seccomp_error_of(rule({{"index", 0}, {"op", "SCMP_CMP_EQ"}})),
            "linux.seccomp.syscalls[1].args[0].value: required field is missing");
  EXPECT_EQ(seccomp_error_of(rule({{"index", 0}, {"value", -5}, {"op", "SCMP_CMP_EQ"}})),
            "linux.seccomp.syscalls[1].args[0].value: must not be negative");
  EXPECT_EQ(seccomp_error_of(rule({{"index", 0}, {"value", 1}, {"op", "SCMP_CMP_ALMOST"}})),
            "linux.seccomp.syscalls[1].args[0].op: unknown operator \"SCMP_CMP_ALMOST\"");
  EXPECT_EQ(seccomp_error_of(rule({{"index", 0}, {"value", 1}})),
            "linux.seccomp.syscalls[1].args[0].op: required field is missing");
  EXPECT_EQ(seccomp_error_of(with_rule({{"names", {"personality"}}, {"action", "SCMP_ACT_ERRNO"}, {"args", "x"}})),
            "linux.seccomp.syscalls[1].args: expected array, got string");
  // The full uint64 range is valid.
  EXPECT_TRUE(compile_seccomp(rule({{"index", 0}, {"value", UINT64_MAX}, {"valueTwo", 0}, {"op", "SCMP_CMP_MASKED_EQ"}})));
}

TEST(SeccompValidation, SameArgumentTwiceIsSplitNotRefused) {
  json args = json::array({{{"index", 0}, {"value", 1}, {"op", "SCMP_CMP_EQ"}},
                           {{"index", 0}, {"value", 2}, {"op", "SCMP_CMP_EQ"}}});
  auto r = compile_seccomp(with_rule({{"names", {"personality"}}, {"action", "SCMP_ACT_ERRNO"}, {"args", args}}));
  EXPECT_TRUE(r) << r.error().what();
}

TEST(SeccompValidation, ArchitecturesChecked) {
  json p = base();
  p["architectures"] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64"};
  auto r = compile_seccomp(p);
  EXPECT_TRUE(r) << r.error().what();
  p["architectures"] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_Z80"};
  EXPECT_EQ(seccomp_error_of(p), "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_Z80\"");
  p["architectures"] = {"SCMP_ARCH_S390X"};
  EXPECT_EQ(seccomp_error_of(p), "linux.seccomp.architectures[0]: SCMP_ARCH_S390X has another byte order than this host");
  p["architectures"] = {"x86_64"};
  EXPECT_EQ(seccomp_error_of(p), "linux.seccomp.architectures[0]: unknown architecture \"x86_64\"");
}

TEST(SeccompValidation, FlagsChecked) {
  json p = base();
  p["flags"] = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
  auto r = compile_seccomp(p);
  EXPECT_TRUE(r) << r.error().what();
  p["flags"] = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_FAST"};
  EXPECT_EQ(seccomp_error_of(p), "linux.seccomp.flags[1]: unknown flag \"SECCOMP_FILTER_FLAG_FAST\"");
}

TEST(SeccompValidation, NotifyNeedsListenerPath) {
  json p = with_rule({{"names", {"mkdir"}}, {"action", "SCMP_ACT_NOTIFY"}});
  EXPECT_EQ(seccomp_error_of(p), "linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY");
  p["listenerPath"] = "relative.sock";
  EXPECT_EQ(seccomp_error_of(p), "linux.seccomp.listenerPath: must be an absolute path");
  p["listenerPath"] = "/run/agent.sock";
  p["listenerMetadata"] = "meta";
  auto r = compile_seccomp(p);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_TRUE(r->uses_notify());
  EXPECT_EQ(r->listener_path(), "/run/agent.sock");
  EXPECT_EQ(r->listener_metadata(), "meta");
}

TEST(SeccompValidation, MetadataWithoutListenerPathRefused) {
  json p = base();
  p["listenerMetadata"] = "meta";
  EXPECT_EQ(seccomp_error_of(p), "linux.seccomp.listenerMetadata: set without listenerPath");
}

TEST(SeccompValidation, NotifyOnRuntimeSyscallsRefused) {
  json p = with_rule({{"names", {"mkdir", "write"}}, {"action", "SCMP_ACT_NOTIFY"}});
  p["listenerPath"] = "/run/agent.sock";
  EXPECT_EQ(seccomp_error_of(p),
            "linux.seccomp.syscalls[1].names[1]: SCMP_ACT_NOTIFY cannot be used for \"write\" (the runtime needs it to "
            "hand over the listener fd)");
}

TEST(SeccompValidation, RuleEqualToDefaultIsIgnored) {
  json p = base();
  p["syscalls"] = json::array({{{"names", {"mkdir"}}, {"action", "SCMP_ACT_ALLOW"}}});
  auto r = compile_seccomp(p);
  EXPECT_TRUE(r) << r.error().what();
}

TEST(SeccompValidation, ListenerPathIgnoredWithoutNotify) {
  json p = base();
  p["listenerPath"] = "/run/agent.sock";
  auto r = compile_seccomp(p);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_FALSE(r->uses_notify());
}

TEST(SeccompValidation, AllActionsAccepted) {
  for (const char* a : {"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
                        "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_LOG"}) {
    auto r = compile_seccomp(with_rule({{"names", {"mkdir"}}, {"action", a}}));
    EXPECT_TRUE(r) << a << ": " << r.error().what();
  }
}

TEST(SeccompValidation, FeaturesListWhatCompileAccepts) {
  json f = berth::runtime::seccomp_features();
  EXPECT_EQ(f["enabled"], true);
  EXPECT_EQ(f["actions"].size(), 9u);
  EXPECT_EQ(f["operators"].size(), 7u);
  EXPECT_EQ(f["knownFlags"].size(), 4u);
  // Every advertised name compiles.
  for (auto& a : f["archs"]) {
    json p = base();
    p["architectures"] = {a};
    EXPECT_TRUE(compile_seccomp(p)) << a;
  }
  for (auto& fl : f["supportedFlags"]) {
    json p = base();
    p["flags"] = {fl};
    EXPECT_TRUE(compile_seccomp(p)) << fl;
  }
  for (auto& op : f["operators"]) {
    auto r = compile_seccomp(with_rule({{"names", {"umask"}},
                                        {"action", "SCMP_ACT_ERRNO"},
                                        {"args", {{{"index", 0}, {"value", 1}, {"op", op}}}}}));
    EXPECT_TRUE(r) << op;
  }
  EXPECT_NE(std::find(f["archs"].begin(), f["archs"].end(), "SCMP_ARCH_AARCH64"), f["archs"].end());
}
