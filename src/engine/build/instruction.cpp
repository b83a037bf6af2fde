#include "engine/build/instruction.hpp"

#include <array>
#include <cctype>
#include <utility>

namespace berth::engine::build {
namespace {

constexpr std::array<std::pair<Command, std::string_view>, 18> kNames{{
    {Command::From, "FROM"},       {Command::Run, "RUN"},
    {Command::Cmd, "CMD"},         {Command::Entrypoint, "ENTRYPOINT"},
    {Command::Env, "ENV"},         {Command::Label, "LABEL"},
    {Command::Arg, "ARG"},         {Command::Expose, "EXPOSE"},
    {Command::Workdir, "WORKDIR"}, {Command::User, "USER"},
    {Command::Copy, "COPY"},       {Command::Add, "ADD"},
    {Command::Volume, "VOLUME"},   {Command::StopSignal, "STOPSIGNAL"},
    {Command::Healthcheck, "HEALTHCHECK"}, {Command::Shell, "SHELL"},
    {Command::Onbuild, "ONBUILD"}, {Command::Maintainer, "MAINTAINER"},
}};

}  // namespace

std::string_view command_name(Command c) {
  for (auto& [cmd, name] : kNames) {
    if (cmd == c) return name;
  }
  return "";
}

std::optional<Command> command_from_name(std::string_view word) {
  for (auto& [cmd, name] : kNames) {
    if (word.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < word.size() && same; ++i) {
      same = std::toupper(static_cast<unsigned char>(word[i])) == name[i];
    }
    if (same) return cmd;
  }
  return std::nullopt;
}

}  // namespace berth::engine::build
