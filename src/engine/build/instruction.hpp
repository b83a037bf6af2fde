// The parsed Dockerfile: one typed Instruction per logical line, grouped into stages. Words
// that Docker expands later keep their quotes and `$` here (see instruction_expand.hpp).
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/build/run_mount.hpp"

namespace berth::engine::build {

// A here-document: `<<EOF` (expand), `<<"EOF"` (no expansion), `<<-EOF` (leading tabs cut).
struct Heredoc {
  std::string name;     // the delimiter, quotes removed
  std::string content;  // every line up to the delimiter, each with its "\n"
  bool expand = true;
  bool chomp = false;
  int fd = 0;  // "3<<EOF" names fd 3; 0 when not given
};

struct KeyValue {
  std::string key;
  std::string value;
  friend bool operator==(const KeyValue&, const KeyValue&) = default;
};

struct ArgDecl {
  std::string name;
  std::optional<std::string> default_value;  // `ARG X` has none; `ARG X=` has ""
  friend bool operator==(const ArgDecl&, const ArgDecl&) = default;
};

// RUN, CMD, ENTRYPOINT: the exec form (JSON array) runs args as they are; the shell form is a
// single string for the SHELL (args has one element).
struct CommandLine {
  std::vector<std::string> args;
  bool prepend_shell = true;   // false for the JSON form
  std::vector<Heredoc> files;  // heredocs of the line, in order
};

struct FromCmd {
  std::string base;        // image or stage name, before expansion
  std::string stage_name;  // lowercased `AS` name, "" when none
  std::string platform;    // --platform, before expansion
};
struct RunCmd {
  CommandLine cmdline;
  std::vector<RunMount> mounts;  // --mount, fields not yet expanded
  std::string network;              // --network: "", "default", "none" or "host"
};
struct CmdCmd { CommandLine cmdline; };
struct EntrypointCmd { CommandLine cmdline; };
struct EnvCmd { std::vector<KeyValue> vars; };
struct LabelCmd { std::vector<KeyValue> labels; };
struct ArgCmd { std::vector<ArgDecl> args; };
struct ExposeCmd { std::vector<std::string> ports; };
struct WorkdirCmd { std::string path; };
struct UserCmd { std::string user; };
// COPY and ADD.
struct CopyCmd {
  bool add = false;                   // ADD
  std::vector<std::string> sources;   // paths, globs (ADD: URLs too)
  std::vector<Heredoc> inline_files;  // `COPY <<EOF /dest`: name is the file name
  std::string dest;
  std::string from;   // --from (COPY only): stage name, stage index or image
  std::string chown;  // --chown
  std::string chmod;  // --chmod
  bool link = false;  // --link
};
struct VolumeCmd { std::vector<std::string> paths; };
struct StopSignalCmd { std::string signal; };
struct HealthcheckCmd {
  // ["NONE"], ["CMD", args...] (exec form) or ["CMD-SHELL", "command"], as the image config.
  std::vector<std::string> test;
  // Unset options are zero: the image config leaves them out and the defaults apply.
  std::chrono::nanoseconds interval{0}, timeout{0}, start_period{0}, start_interval{0};
  int retries = 0;
};
struct ShellCmd { std::vector<std::string> shell; };
struct OnbuildCmd { std::string expression; };  // the trigger as written ("RUN make")
struct MaintainerCmd { std::string name; };

enum class Command {
  From, Run, Cmd, Entrypoint, Env, Label, Arg, Expose, Workdir, User, Copy, Add, Volume,
  StopSignal, Healthcheck, Shell, Onbuild, Maintainer,
};

using Payload = std::variant<FromCmd, RunCmd, CmdCmd, EntrypointCmd, EnvCmd, LabelCmd, ArgCmd,
                             ExposeCmd, WorkdirCmd, UserCmd, CopyCmd, VolumeCmd, StopSignalCmd,
                             HealthcheckCmd, ShellCmd, OnbuildCmd, MaintainerCmd>;

struct Instruction {
  Command command = Command::Run;
  int line = 0;      // first line of the instruction (1-based)
  int end_line = 0;  // last line, heredoc bodies and continuations included
  std::string original;  // the logical line as written, continuations joined
  Payload payload;
};

// "FROM", "RUN", ...: the name Docker prints in history and errors.
std::string_view command_name(Command c);
// "run", "Run", "RUN" -> Run; nullopt for anything else.
std::optional<Command> command_from_name(std::string_view word);
// The instruction a mistyped word most likely meant ("RUNN" -> Run), for "did you mean".
std::optional<Command> closest_command(std::string_view word);

struct Stage {
  int index = 0;
  Instruction from;  // holds a FromCmd
  std::vector<Instruction> commands;
  const FromCmd& from_cmd() const { return std::get<FromCmd>(from.payload); }
};

struct Dockerfile {
  char escape = '\\';
  std::string syntax;                 // the `# syntax=` directive, "" when absent
  std::vector<Instruction> meta_args;  // ARGs before the first FROM
  std::vector<Stage> stages;
  std::vector<std::string> warnings;  // e.g. empty continuation lines
};

}  // namespace berth::engine::build
