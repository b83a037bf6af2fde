// ARG scoping as Docker does it. ARGs before the first FROM ("meta" ARGs) are visible to FROM
// lines only; a stage sees an ARG from its own `ARG` line on, taking the --build-arg value,
// else its default, else the meta ARG's value. ENV beats ARG of the same name. The predefined
// proxy ARGs (HTTP_PROXY and friends) reach RUN without being declared but stay out of the
// history unless declared. Build args that no ARG consumed are reported.
#pragma once
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "engine/build/instruction.hpp"
#include "engine/build/shell_lex.hpp"

namespace berth::engine::build {

// --build-arg K=V gives a value; `--build-arg K` with K unset on the client gives none.
using GivenArgs = std::map<std::string, std::optional<std::string>, std::less<>>;

bool is_predefined_arg(std::string_view name);  // HTTP_PROXY, no_proxy, ...

// The ARGs a stage has declared so far. Cheap to copy; one per running stage; must not outlive
// the BuildArgs it came from.
class StageArgs {
 public:
  StageArgs(const GivenArgs* given, const Vars* meta) : given_(given), meta_(meta) {}

  // `ARG NAME[=default]`, its default already expanded.
  void declare(const ArgDecl& arg);
  // Words in the stage expand against its ENV over the ARGs in scope.
  Vars expansion_env(const Vars& stage_env) const;
  // The ARG values a RUN gets in its environment (names set by ENV excluded).
  Vars run_args(const Vars& stage_env) const;
  // What the RUN's history entry records ("|2 A=1 B=2 /bin/sh -c ..."): run_args without
  // predefined ARGs the stage did not declare.
  Vars history_args(const Vars& stage_env) const;

 private:
  std::optional<std::string> value(const std::string& name) const;
  const GivenArgs* given_;
  const Vars* meta_;
  std::map<std::string, std::optional<std::string>> declared_;  // name -> default
};

class BuildArgs {
 public:
  // automatic: ARGs the builder defines itself (TARGETPLATFORM, ...), usable like meta ARGs.
  explicit BuildArgs(GivenArgs given, Vars automatic = {});

  // The ARGs before the first FROM, in order: each default expands against the ones before.
  Result<> add_meta_args(const std::vector<Instruction>& args, char escape = '\\');
  // What FROM lines expand against.
  const Vars& meta_vars() const { return meta_; }
  // A fresh scope for a stage (which sees no ARG until it declares one).
  StageArgs stage() const { return StageArgs(&given_, &meta_); }

  // "[Warning] One or more build-args [A B] were not consumed" when some given build arg
  // was declared by no ARG in `declared` (the meta ARGs and those of the stages that ran).
  std::optional<std::string> unconsumed_warning(const std::set<std::string>& declared) const;
  std::set<std::string> meta_names() const { return meta_names_; }

 private:
  GivenArgs given_;
  Vars meta_;
  Vars automatic_;
  std::set<std::string> meta_names_;
};

// A RUN's command as its history entry records it: with build args in effect, Docker's
// ["|2", "A=1", "B=2", "/bin/sh", "-c", "make"]; the command itself when there are none.
std::vector<std::string> with_history_args(const Vars& history_args, std::vector<std::string> cmd);

// The names declared by ARG lines in the given stages.
std::set<std::string> declared_arg_names(const Dockerfile& df, const std::vector<int>& stages);

}  // namespace berth::engine::build
