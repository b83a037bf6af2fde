#include "engine/build/instruction.hpp"

#include <array>
#include <cctype>
#include <algorithm>
#include <utility>
#include <vector>

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

std::optional<Command> closest_command(std::string_view word) {
  // Edit distance ignoring case; at most 2 edits, as BuildKit suggests.
  std::optional<Command> best;
  size_t best_dist = 3;
  for (auto& [cmd, name] : kNames) {
    std::vector<size_t> prev(name.size() + 1), cur(name.size() + 1);
    for (size_t j = 0; j <= name.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= word.size(); ++i) {
      cur[0] = i;
      for (size_t j = 1; j <= name.size(); ++j) {
        bool same = std::toupper(static_cast<unsigned char>(word[i - 1])) == name[j - 1];
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
      }
      std::swap(prev, cur);
    }
    if (prev[name.size()] < best_dist) {
      best_dist = prev[name.size()];
      best = cmd;
    }
  }
  return best;
}

}  // namespace berth::engine::build
