// Here-documents in RUN, COPY and ADD lines: which words open one (`<<EOF`, `<<-EOF`,
// `<<"EOF"`, `3<<EOF`), and `<<-`'s removal of leading tabs.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "engine/build/instruction.hpp"

namespace berth::engine::build {

// The heredoc a word opens, or nullopt when it opens none ("<<", "a<<EOF", "<<EOF<"). A quote
// anywhere in the delimiter turns expansion of the body off. Content is left empty.
Result<std::optional<Heredoc>> parse_heredoc_word(std::string_view word);

// Every heredoc a logical line opens, in order.
Result<std::vector<Heredoc>> heredocs_in_line(std::string_view line);

// `<<-`: the leading tabs of every line removed.
std::string chomp_heredoc(std::string_view content);

}  // namespace berth::engine::build
