#include "engine/build/dockerfile_parser.hpp"

#include <cctype>
#include <set>

#include "engine/build/heredoc.hpp"
#include "engine/build/instruction_parse.hpp"
#include "engine/build/parse_error.hpp"

namespace berth::engine::build {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  return s;
}

bool is_comment(std::string_view line) { return trim_left(line).starts_with('#'); }


// The text as lines without their "\n" (or "\r\n"), a leading byte-order mark dropped.
std::vector<std::string_view> split_lines(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view l = text.substr(0, nl);
    if (l.ends_with('\r')) l.remove_suffix(1);
    lines.push_back(l);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

// Parser directives: `# key=value` lines before anything else. An unknown key, a plain
// comment, an empty line or an instruction ends them.
class Directives {
 public:
  Result<> see(std::string_view line, Dockerfile& df) {
    if (done_) return {};
    auto kv = match(line);
    if (!kv) {
      done_ = true;
      return {};
    }
    auto& [key, value] = *kv;
    if (key != "escape" && key != "syntax" && key != "check") {
      done_ = true;
      return {};
    }
    if (!seen_.insert(key).second) return fail(ErrorKind::Invalid, "only one " + key + " parser directive can be used");
    if (key == "escape") {
      if (value != "\\" && value != "`") {
        return fail(ErrorKind::Invalid, "invalid escape token '" + value + "' does not match ` or \\");
      }
      df.escape = value[0];
    } else if (key == "syntax") {
      df.syntax = value;
    }
    return {};
  }

 private:
  // ^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$
  static std::optional<std::pair<std::string, std::string>> match(std::string_view l) {
    if (!l.starts_with('#')) return std::nullopt;
    l = trim_left(l.substr(1));
    size_t i = 0;
    if (l.empty() || !std::isalpha(static_cast<unsigned char>(l[0]))) return std::nullopt;
    while (i < l.size() && std::isalnum(static_cast<unsigned char>(l[i]))) ++i;
    std::string key(l.substr(0, i));
    l = trim_left(l.substr(i));
    if (!l.starts_with('=')) return std::nullopt;
    l = trim_left(l.substr(1));
    while (!l.empty() && is_space(l.back())) l.remove_suffix(1);
    if (l.empty()) return std::nullopt;
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return std::pair{key, std::string(l)};
  }
  bool done_ = false;
  std::set<std::string> seen_;
};

// A trailing escape token (blanks after it allowed) continues the line: returns the line
// without it and whether it was there.
std::pair<std::string_view, bool> cut_continuation(std::string_view line, char escape) {
  size_t end = line.size();
  while (end > 0 && (line[end - 1] == ' ' || line[end - 1] == '\t')) --end;
  if (end > 0 && line[end - 1] == escape) return {line.substr(0, end - 1), true};
  return {line, false};
}

// Every instruction of the text, in order; directives, warnings and the escape token go to df.
Result<std::vector<Instruction>> parse_all(std::string_view text, Dockerfile& df) {
  Directives directives;
  std::vector<Instruction> all;
  auto lines = split_lines(text);
  size_t next = 0;  // index of the next unread line; its number is next + 1
  bool empty_continuation_seen = false;

  while (next < lines.size()) {
    std::string_view raw = lines[next++];
    std::string_view first = trim_left(raw);
    if (auto d = directives.see(first, df); !d) return fail(at_line(int(next), d.error()));
    if (is_comment(first)) continue;
    const int start = int(next);
    auto [head, continues] = cut_continuation(first, df.escape);
    if (!continues && head.empty()) continue;

    std::string line(head);
    bool empty_continuation = false;
    while (continues && next < lines.size()) {
      std::string_view l = lines[next++];
      if (is_comment(l)) continue;  // comments inside a continuation are dropped
      if (trim_left(l).empty()) {    // so are empty lines, with a warning
        empty_continuation = true;
        continue;
      }
      auto [part, more] = cut_continuation(l, df.escape);
      line += part;
      continues = more;
    }
    if (empty_continuation) {
      df.warnings.push_back("[WARNING]: Empty continuation line found in:\n    " + line);
      empty_continuation_seen = true;
    }

    std::vector<Heredoc> heredocs;
    if (line.find("<<") != std::string::npos && may_open_heredocs(line)) {
      auto docs = heredocs_in_line(line);
      if (!docs) return fail(at_line(start, docs.error()));
      for (auto& h : *docs) {
        bool terminated = false;
        while (next < lines.size()) {
          std::string_view l = lines[next++];
          std::string_view candidate = l;
          if (h.chomp) {
            while (candidate.starts_with('\t')) candidate.remove_prefix(1);
          }
          if (candidate == h.name) {
            terminated = true;
            break;
          }
          h.content += l;
          h.content += '\n';
        }
        if (!terminated) return fail(at_line(start, "unterminated heredoc"));
        if (h.chomp) h.content = chomp_heredoc(h.content);
        heredocs.push_back(std::move(h));
      }
    }

    auto ins = parse_instruction(line, std::move(heredocs), df.escape);
    if (!ins) return fail(at_line(start, ins.error()));
    ins->line = start;
    ins->end_line = int(next);
    all.push_back(std::move(*ins));
  }
  if (empty_continuation_seen) {
    df.warnings.push_back("[WARNING]: Empty continuation lines will become errors in a future release.");
  }

  return all;
}

}  // namespace

Result<Dockerfile> parse_dockerfile(std::string_view text) {
  Dockerfile df;
  auto parsed = parse_all(text, df);
  if (!parsed) return std::unexpected(parsed.error());
  auto& all = *parsed;
  if (all.empty()) return fail(ErrorKind::Invalid, "Dockerfile parse error: file with no instructions");
  for (auto& ins : all) {
    if (ins.command == Command::From) {
      Stage s;
      s.index = int(df.stages.size());
      s.from = std::move(ins);
      df.stages.push_back(std::move(s));
    } else if (!df.stages.empty()) {
      df.stages.back().commands.push_back(std::move(ins));
    } else if (ins.command == Command::Arg) {
      df.meta_args.push_back(std::move(ins));
    } else {
      return fail(at_line(ins.line, "no build stage in current context"));
    }
  }
  if (df.stages.empty()) return fail(ErrorKind::Invalid, "dockerfile contains no stages to build");
  return df;
}

Result<std::vector<Instruction>> parse_onbuild_triggers(const std::vector<std::string>& triggers) {
  std::string text;
  for (const auto& t : triggers) text += t + "\n";
  Dockerfile df;
  auto all = parse_all(text, df);
  if (!all) return fail(all.error().wrap("parse ONBUILD triggers"));
  for (const auto& ins : *all) {
    if (ins.command == Command::Onbuild) {
      return fail(ErrorKind::Invalid, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
    }
    if (ins.command == Command::From || ins.command == Command::Maintainer) {
      return fail(ErrorKind::Invalid, std::string(command_name(ins.command)) + " isn't allowed as an ONBUILD trigger");
    }
  }
  return all;
}

}  // namespace berth::engine::build
