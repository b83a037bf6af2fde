// Dockerfile text -> instructions grouped into stages, as Docker reads it: parser directives
// (`# syntax=`, `# escape=` with \ or `) at the top, comments, line continuations with the
// escape token (comment and empty lines inside a continuation are skipped), heredoc bodies for
// RUN/COPY/ADD, and a line number on every instruction and every error:
// "Dockerfile parse error on line 3: unknown instruction: FOO".
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "engine/build/instruction.hpp"

namespace berth::engine::build {

Result<Dockerfile> parse_dockerfile(std::string_view text);

// The OnBuild triggers of a base image (each an OnbuildCmd expression), parsed when a child
// build starts FROM it. ONBUILD, FROM and MAINTAINER are refused.
Result<std::vector<Instruction>> parse_onbuild_triggers(const std::vector<std::string>& triggers);

}  // namespace berth::engine::build
