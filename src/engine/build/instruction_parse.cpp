#include "engine/build/instruction_parse.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

#include "engine/build/builder_flags.hpp"
#include "engine/build/go_duration.hpp"
#include "engine/build/heredoc.hpp"
#include "engine/build/line_words.hpp"
#include "engine/build/parse_error.hpp"

namespace berth::engine::build {
namespace {


std::string upper(std::string_view s) {
  std::string out(s);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::toupper(c); });
  return out;
}

Error at_least_one(std::string_view cmd) { return bad(std::string(cmd) + " requires at least one argument"); }
Error exactly_one(std::string_view cmd) { return bad(std::string(cmd) + " requires exactly one argument"); }

Result<std::vector<KeyValue>> parse_name_values(std::string_view rest, std::string_view cmd, char escape) {
  auto words = parse_words(rest, escape);
  if (words.empty()) return fail(at_least_one(cmd));
  std::vector<KeyValue> out;
  if (words[0].find('=') == std::string::npos) {
    auto parts = split_blanks(rest, 2);
    if (parts.size() < 2) return fail(bad(std::string(cmd) + " must have two arguments"));
    out.push_back({parts[0], parts[1]});
  } else {
    for (auto& w : words) {
      auto eq = w.find('=');
      if (eq == std::string::npos) {
        return fail(bad("Syntax error - can't find = in \"" + w + "\". Must be of the form: name=value"));
      }
      out.push_back({w.substr(0, eq), w.substr(eq + 1)});
    }
  }
  for (auto& kv : out) {
    if (kv.key.empty()) return fail(bad(std::string(cmd) + " names can not be blank"));
  }
  return out;
}

bool valid_arg_name(std::string_view n) {
  if (n.empty() || std::isdigit(static_cast<unsigned char>(n[0]))) return false;
  return std::ranges::all_of(n, [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

Result<ArgCmd> parse_arg(std::string_view rest, char escape) {
  auto words = parse_words(rest, escape);
  if (words.empty()) return fail(at_least_one("ARG"));
  ArgCmd a;
  for (auto& w : words) {
    auto eq = w.find('=');
    ArgDecl d{w.substr(0, eq), std::nullopt};
    if (eq != std::string::npos) d.default_value = w.substr(eq + 1);
    if (d.name.empty()) return fail(bad("ARG names can not be blank"));
    // Docker takes any name but only these can ever be referenced as $NAME.
    if (!valid_arg_name(d.name)) {
      return fail(bad("invalid ARG name \"" + d.name +
                      "\": a name starts with a letter or _ and holds only letters, digits and _"));
    }
    a.args.push_back(std::move(d));
  }
  return a;
}

// RUN, CMD, ENTRYPOINT: JSON array or the rest of the line for the shell.
Result<CommandLine> parse_command_line(std::string_view rest, std::vector<Heredoc> heredocs) {
  CommandLine c;
  c.files = std::move(heredocs);
  auto json = parse_json_array(rest);
  if (!json) return std::unexpected(json.error());
  if (*json) {
    c.args = std::move(**json);
    c.prepend_shell = false;
  } else {
    c.args = {std::string(rest)};
  }
  return c;
}

// COPY, ADD, VOLUME: JSON array or blank-separated words.
Result<std::vector<std::string>> parse_list(std::string_view rest) {
  auto json = parse_json_array(rest);
  if (!json) return std::unexpected(json.error());
  if (*json) return std::move(**json);
  if (rest.empty()) return std::vector<std::string>{};
  return split_blanks(rest);
}

Result<CopyCmd> parse_copy(bool add, const SplitLine& s, std::vector<Heredoc> heredocs) {
  const char* cmd = add ? "ADD" : "COPY";
  Flags flags = add ? Flags(s.flags, {{"chown", Flags::String}, {"chmod", Flags::String}, {"link", Flags::Bool}})
                    : Flags(s.flags, {{"chown", Flags::String}, {"chmod", Flags::String}, {"link", Flags::Bool},
                                      {"from", Flags::String}});
  BERTH_CHECK(flags.parse(), "");
  auto args = parse_list(s.args);
  if (!args) return std::unexpected(args.error());
  if (args->size() < 2) {
    return fail(bad(std::string(cmd) +
                    " requires at least two arguments, but only one was provided. Destination could not be determined"));
  }
  CopyCmd c;
  c.add = add;
  c.dest = args->back();
  auto dest_doc = parse_heredoc_word(c.dest);
  if (!dest_doc) return std::unexpected(dest_doc.error());
  if (*dest_doc) return fail(bad(std::string(cmd) + " cannot accept a heredoc as a destination"));
  for (size_t i = 0; i + 1 < args->size(); ++i) {
    auto doc = parse_heredoc_word((*args)[i]);
    if (!doc) return std::unexpected(doc.error());
    if (!*doc) {
      c.sources.push_back((*args)[i]);
      continue;
    }
    auto it = std::ranges::find_if(heredocs, [&](const Heredoc& h) { return h.name == (*doc)->name; });
    if (it != heredocs.end()) c.inline_files.push_back(*it);
  }
  c.from = flags.str("from");
  c.chown = flags.str("chown");
  c.chmod = flags.str("chmod");
  c.link = flags.flag("link");
  return c;
}

Result<std::chrono::nanoseconds> health_interval(const Flags& f, const char* name) {
  std::string v = f.str(name);
  if (v.empty()) return std::chrono::nanoseconds(0);
  auto d = parse_go_duration(v);
  if (!d) return d;
  if (*d < std::chrono::milliseconds(1)) {
    return fail(bad(std::string("Interval \"") + name + "\" cannot be less than 1ms"));
  }
  return d;
}

Result<HealthcheckCmd> parse_healthcheck(const SplitLine& s) {
  // The first word is the type, the rest a command in either form.
  std::string_view rest = s.args;
  size_t sep = 0;
  while (sep < rest.size() && !is_blank(rest[sep])) ++sep;
  if (sep == 0) return fail(at_least_one("HEALTHCHECK"));
  std::string type = upper(rest.substr(0, sep));
  std::string_view cmd = trim_blanks(rest.substr(sep));
  HealthcheckCmd h;
  if (type == "NONE") {
    if (!cmd.empty()) return fail(bad("HEALTHCHECK NONE takes no arguments"));
    h.test = {"NONE"};
    return h;
  }
  Flags flags(s.flags, {{"interval", Flags::String}, {"timeout", Flags::String}, {"start-period", Flags::String},
                        {"start-interval", Flags::String}, {"retries", Flags::String}});
  BERTH_CHECK(flags.parse(), "");
  if (type != "CMD") return fail(bad("Unknown type \"" + type + "\" in HEALTHCHECK (try CMD)"));
  auto line = parse_command_line(cmd, {});
  if (!line) return std::unexpected(line.error());
  if (line->args.empty() || (line->prepend_shell && line->args[0].empty())) {
    return fail(bad("Missing command after HEALTHCHECK CMD"));
  }
  h.test = {line->prepend_shell ? "CMD-SHELL" : "CMD"};
  h.test.insert(h.test.end(), line->args.begin(), line->args.end());
  h.interval = BERTH_TRY(health_interval(flags, "interval"), "");
  h.timeout = BERTH_TRY(health_interval(flags, "timeout"), "");
  h.start_period = BERTH_TRY(health_interval(flags, "start-period"), "");
  h.start_interval = BERTH_TRY(health_interval(flags, "start-interval"), "");
  if (std::string r = flags.str("retries"); !r.empty()) {
    char* end = nullptr;
    errno = 0;
    long long n = std::strtoll(r.c_str(), &end, 10);
    if (*end || errno || n > INT32_MAX || n < INT32_MIN) {
      return fail(bad("strconv.ParseInt: parsing \"" + r + "\": invalid syntax"));
    }
    if (n < 1) return fail(bad("--retries must be at least 1 (not " + std::to_string(n) + ")"));
    h.retries = static_cast<int>(n);
  }
  return h;
}

Result<FromCmd> parse_from(const SplitLine& s) {
  Flags flags(s.flags, {{"platform", Flags::String}});
  auto args = s.args.empty() ? std::vector<std::string>{} : split_blanks(s.args);
  FromCmd f;
  if (args.size() == 3 && upper(args[1]) == "AS") {
    std::string name = args[2];
    std::ranges::transform(name, name.begin(), [](unsigned char c) { return std::tolower(c); });
    bool ok = std::islower(static_cast<unsigned char>(name[0])) &&
              std::ranges::all_of(name, [](unsigned char c) {
                return std::islower(c) || std::isdigit(c) || c == '-' || c == '_' || c == '.';
              });
    if (!ok) {
      return fail(bad("invalid name for build stage: \"" + args[2] +
                      "\", name can't start with a number or contain symbols"));
    }
    f.stage_name = name;
  } else if (args.size() != 1) {
    return fail(bad("FROM requires either one or three arguments"));
  }
  BERTH_CHECK(flags.parse(), "");
  f.base = args[0];
  f.platform = flags.str("platform");
  return f;
}

Result<RunCmd> parse_run(const SplitLine& s, std::vector<Heredoc> heredocs) {
  Flags flags(s.flags, {{"mount", Flags::Strings}, {"network", Flags::String}});
  BERTH_CHECK(flags.parse(), "");
  RunCmd r;
  for (auto& m : flags.all("mount")) {
    auto mount = parse_run_mount(m);
    if (!mount) return std::unexpected(mount.error().wrap("--mount=" + m));
    r.mounts.push_back(std::move(*mount));
  }
  r.network = flags.str("network");
  if (!r.network.empty() && r.network != "default" && r.network != "none" && r.network != "host") {
    return fail(bad("unsupported network mode \"" + r.network + "\" (none, host or default)"));
  }
  r.cmdline = BERTH_TRY(parse_command_line(s.args, std::move(heredocs)), "");
  return r;
}

// The rest of the line as one value (USER, WORKDIR, STOPSIGNAL, MAINTAINER).
Result<std::string> one_value(const SplitLine& s, std::string_view cmd) {
  BERTH_CHECK(Flags(s.flags, {}).parse(), "");
  if (s.args.empty()) return fail(exactly_one(cmd));
  return s.args;
}

Result<Payload> parse_payload(Command cmd, const SplitLine& s, std::string_view line, std::vector<Heredoc> heredocs,
                              char escape) {
  auto no_flags = [&]() { return Flags(s.flags, {}).parse(); };
  switch (cmd) {
    case Command::From:
      return parse_from(s);
    case Command::Run:
      return parse_run(s, std::move(heredocs));
    case Command::Cmd:
    case Command::Entrypoint: {
      BERTH_CHECK(no_flags(), "");
      auto c = BERTH_TRY(parse_command_line(s.args, {}), "");
      if (cmd == Command::Cmd) return CmdCmd{std::move(c)};
      return EntrypointCmd{std::move(c)};
    }
    case Command::Env:
    case Command::Label: {
      BERTH_CHECK(no_flags(), "");
      auto kvs = BERTH_TRY(parse_name_values(s.args, command_name(cmd), escape), "");
      if (cmd == Command::Env) return EnvCmd{std::move(kvs)};
      return LabelCmd{std::move(kvs)};
    }
    case Command::Arg:
      BERTH_CHECK(no_flags(), "");
      return parse_arg(s.args, escape);
    case Command::Expose: {
      BERTH_CHECK(no_flags(), "");
      if (s.args.empty()) return fail(at_least_one("EXPOSE"));
      return ExposeCmd{split_blanks(s.args)};
    }
    case Command::Workdir:
      return WorkdirCmd{BERTH_TRY(one_value(s, "WORKDIR"), "")};
    case Command::User:
      return UserCmd{BERTH_TRY(one_value(s, "USER"), "")};
    case Command::StopSignal:
      return StopSignalCmd{BERTH_TRY(one_value(s, "STOPSIGNAL"), "")};
    case Command::Maintainer:
      return MaintainerCmd{BERTH_TRY(one_value(s, "MAINTAINER"), "")};
    case Command::Copy:
    case Command::Add:
      return parse_copy(cmd == Command::Add, s, std::move(heredocs));
    case Command::Volume: {
      BERTH_CHECK(no_flags(), "");
      auto list = BERTH_TRY(parse_list(s.args), "");
      if (list.empty()) return fail(at_least_one("VOLUME"));
      VolumeCmd v;
      for (auto& p : list) {
        auto t = trim_blanks(p);
        if (t.empty()) return fail(bad("VOLUME specified can not be an empty string"));
        v.paths.emplace_back(t);
      }
      return v;
    }
    case Command::Healthcheck:
      return parse_healthcheck(s);
    case Command::Shell: {
      BERTH_CHECK(no_flags(), "");
      auto json = BERTH_TRY(parse_json_array(s.args), "");
      if (!json) return fail(bad("SHELL requires the arguments to be in JSON form"));
      if (json->empty()) return fail(at_least_one("SHELL"));
      return ShellCmd{std::move(*json)};
    }
    case Command::Onbuild: {
      BERTH_CHECK(no_flags(), "");
      if (s.args.empty()) return fail(at_least_one("ONBUILD"));
      std::string trigger = upper(split_blanks(s.args, 2)[0]);
      if (trigger == "ONBUILD") return fail(bad("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"));
      if (trigger == "FROM" || trigger == "MAINTAINER") {
        return fail(bad(trigger + " isn't allowed as an ONBUILD trigger"));
      }
      // The trigger as written, with its heredocs, to be parsed when a child image builds.
      std::string_view rest = trim_blanks(line);
      rest = trim_blanks(rest.substr(split_blanks(rest, 2)[0].size()));
      OnbuildCmd o{std::string(rest)};
      for (auto& h : heredocs) o.expression += "\n" + h.content + h.name;
      return o;
    }
  }
  return fail(bad("unknown instruction"));
}

}  // namespace

bool may_open_heredocs(std::string_view line) {
  SplitLine s = split_command(line);
  auto cmd = command_from_name(s.word);
  if (cmd == Command::Onbuild) {
    s = split_command(s.args);
    cmd = command_from_name(s.word);
  }
  if (cmd != Command::Run && cmd != Command::Copy && cmd != Command::Add) return false;
  auto json = parse_json_array(s.args);
  return !json || !*json;
}

Result<Instruction> parse_instruction(std::string_view line, std::vector<Heredoc> heredocs, char escape) {
  SplitLine s = split_command(line);
  auto cmd = command_from_name(s.word);
  if (!cmd) {
    std::string msg = "unknown instruction: " + s.word;
    if (auto guess = closest_command(s.word)) {
      // In the case the user wrote: "foo" -> "from", "FOO" or "Foo" -> "FROM".
      std::string name(command_name(*guess));
      if (std::ranges::none_of(s.word, [](unsigned char c) { return std::isupper(c); })) {
        std::ranges::transform(name, name.begin(), [](unsigned char c) { return std::tolower(c); });
      }
      msg += " (did you mean " + name + "?)";
    }
    return fail(bad(std::move(msg)));
  }
  Instruction ins;
  ins.command = *cmd;
  ins.original = std::string(line);
  auto payload = parse_payload(*cmd, s, line, std::move(heredocs), escape);
  if (!payload) return std::unexpected(std::move(payload.error()));
  ins.payload = std::move(*payload);
  return ins;
}

}  // namespace berth::engine::build
