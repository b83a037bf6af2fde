// One logical line (continuations joined, heredoc bodies read) -> a typed Instruction: the
// command word (any case), the builder flags (--from=...), and the arguments as each
// instruction reads them (JSON array, words, name=value pairs, or the rest of the line).
#pragma once
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "engine/build/instruction.hpp"

namespace berth::engine::build {

// Errors carry no line number; parse_dockerfile adds it. line/end_line are left to the caller.
Result<Instruction> parse_instruction(std::string_view line, std::vector<Heredoc> heredocs, char escape);

// RUN, COPY, ADD (or ONBUILD of one) in shell form: the line may open heredocs.
bool may_open_heredocs(std::string_view line);

}  // namespace berth::engine::build
