// Which words Docker expands ($VAR, quotes, escapes) before an instruction runs, and doing it:
// ADD COPY ENV EXPOSE FROM LABEL STOPSIGNAL USER VOLUME WORKDIR ARG and RUN --mount values
// expand; RUN CMD ENTRYPOINT HEALTHCHECK SHELL (their shell expands), ONBUILD (expanded when
// it triggers) and MAINTAINER do not.
#pragma once
#include "common/error.hpp"
#include "engine/build/instruction.hpp"
#include "engine/build/shell_lex.hpp"

namespace berth::engine::build {

bool expands(Command c);

// The instruction with its words expanded against env (for FROM: the ARGs before the first
// FROM; otherwise the stage's ENV over the ARGs in scope). Quotes are removed. Errors name the
// line: Dockerfile parse error on line 4: failed to process "${X": syntax error: missing '}'.
// keep_unset leaves references to unset variables as written (for planning before the base
// image's ENV is known).
Result<Instruction> expand_instruction(const Instruction& ins, const Vars& env, char escape = '\\',
                                       bool keep_unset = false);

}  // namespace berth::engine::build
