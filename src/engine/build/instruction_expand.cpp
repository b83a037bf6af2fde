#include "engine/build/instruction_expand.hpp"

namespace berth::engine::build {
namespace {

class Expander {
 public:
  Expander(const Vars& env, char escape, bool keep_unset)
      : env_(env), opts_{.escape = escape, .skip_unset = keep_unset} {}

  Result<> word(std::string& w) {
    auto r = expand_word(w, env_, opts_);
    if (!r) return fail(ErrorKind::Invalid, "failed to process \"" + w + "\": " + r.error().message);
    w = std::move(*r);
    return {};
  }
  Result<> words(std::vector<std::string>& ws) {
    for (auto& w : ws) BERTH_CHECK(word(w), "");
    return {};
  }
  // EXPOSE $PORTS with PORTS="80 443" is two ports.
  Result<> split_words(std::vector<std::string>& ws) {
    std::vector<std::string> out;
    for (auto& w : ws) {
      auto r = expand_words(w, env_, opts_);
      if (!r) return fail(ErrorKind::Invalid, "failed to process \"" + w + "\": " + r.error().message);
      out.insert(out.end(), r->begin(), r->end());
    }
    ws = std::move(out);
    return {};
  }

  Result<> payload(Payload& p) {
    return std::visit([&](auto& cmd) { return visit(cmd); }, p);
  }

 private:
  Result<> visit(FromCmd& c) {
    BERTH_CHECK(word(c.base), "");
    return word(c.platform);
  }
  Result<> visit(RunCmd& c) {
    for (auto& m : c.mounts) {
      for (auto* w : {&m.target, &m.source, &m.from, &m.id}) BERTH_CHECK(word(*w), "");
    }
    return {};
  }
  Result<> visit(EnvCmd& c) { return pairs(c.vars); }
  Result<> visit(LabelCmd& c) { return pairs(c.labels); }
  Result<> visit(ArgCmd& c) {
    for (auto& a : c.args) {
      BERTH_CHECK(word(a.name), "");
      if (a.default_value) BERTH_CHECK(word(*a.default_value), "");
    }
    return {};
  }
  Result<> visit(ExposeCmd& c) { return split_words(c.ports); }
  Result<> visit(WorkdirCmd& c) { return word(c.path); }
  Result<> visit(UserCmd& c) { return word(c.user); }
  Result<> visit(StopSignalCmd& c) { return word(c.signal); }
  Result<> visit(VolumeCmd& c) { return words(c.paths); }
  Result<> visit(CopyCmd& c) {
    BERTH_CHECK(words(c.sources), "");
    for (auto* w : {&c.dest, &c.from, &c.chown, &c.chmod}) BERTH_CHECK(word(*w), "");
    return {};
  }
  // The rest is left to the shell (or to the child build, for ONBUILD).
  template <class T>
  Result<> visit(T&) {
    return {};
  }
  Result<> pairs(std::vector<KeyValue>& kvs) {
    for (auto& kv : kvs) {
      BERTH_CHECK(word(kv.key), "");
      BERTH_CHECK(word(kv.value), "");
    }
    return {};
  }

  const Vars& env_;
  LexOptions opts_;
};

}  // namespace

bool expands(Command c) {
  switch (c) {
    case Command::Add: case Command::Copy: case Command::Env: case Command::Expose:
    case Command::From: case Command::Label: case Command::StopSignal: case Command::User:
    case Command::Volume: case Command::Workdir: case Command::Arg: case Command::Run:
      return true;  // RUN: only its --mount values
    default:
      return false;
  }
}

Result<Instruction> expand_instruction(const Instruction& ins, const Vars& env, char escape, bool keep_unset) {
  Instruction out = ins;
  if (!expands(ins.command)) return out;
  Expander e(env, escape, keep_unset);
  if (auto r = e.payload(out.payload); !r) {
    return fail(ErrorKind::Invalid, "Dockerfile parse error on line " + std::to_string(ins.line) + ": " + r.error().message);
  }
  return out;
}

}  // namespace berth::engine::build
