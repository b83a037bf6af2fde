// The image config a stage builds up, changed as dockerd's classic builder changes it for the
// instructions that run nothing (ENV LABEL EXPOSE WORKDIR USER VOLUME STOPSIGNAL HEALTHCHECK
// SHELL ONBUILD CMD ENTRYPOINT MAINTAINER ARG), and the history line each one writes
// ("/bin/sh -c #(nop)  ENV a=1"). RUN, COPY, ADD and FROM belong to the executor.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "engine/build/instruction.hpp"

namespace berth::engine::build {

struct StageConfig {
  nlohmann::json config = nlohmann::json::object();  // the image config's "config" object
  std::string author;    // MAINTAINER
  bool cmd_set = false;  // a CMD in this stage: a later ENTRYPOINT keeps it
};

// ins must be expanded (expand_instruction). Returns the history entry's created_by. Errors
// (a bad EXPOSE port) name the line.
Result<std::string> apply_to_config(StageConfig& stage, const Instruction& ins);

// The shell a shell-form command runs with: the config's Shell, else ["/bin/sh", "-c"].
std::vector<std::string> stage_shell(const nlohmann::json& config);
// A command line as it runs: the shell form becomes shell + the command.
std::vector<std::string> resolve_cmdline(const CommandLine& c, const nlohmann::json& config);

// WORKDIR: a relative path is below the current one; the result is clean and absolute.
std::string normalize_workdir(std::string_view current, std::string_view requested);

// EXPOSE's "80", "53/udp", "8000-8002/tcp" -> "80/tcp", "53/udp", "8000/tcp", ...
Result<std::vector<std::string>> parse_exposed_ports(const std::vector<std::string>& specs);

}  // namespace berth::engine::build
