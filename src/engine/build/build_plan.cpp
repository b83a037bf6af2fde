#include "engine/build/build_plan.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "common/text.hpp"
#include "engine/build/copy_sources.hpp"
#include "engine/build/instruction_expand.hpp"
#include "engine/build/parse_error.hpp"

namespace berth::engine::build {
namespace {


std::string stage_label(const PlannedStage& s) { return s.name.empty() ? std::to_string(s.index) : s.name; }

bool is_remote(std::string_view src) {
  return src.starts_with("http://") || src.starts_with("https://") || src.starts_with("git@") ||
         src.starts_with("git://");
}

// Sources read from the context, checked before anything runs: none may climb out of it, and
// ADD cannot fetch (builds have no network unless a RUN asks for it).
Result<> check_context_sources(const CopyCmd& c, int line) {
  for (const auto& src : c.sources) {
    if (c.add && is_remote(src)) {
      return fail(at_line(line, "ADD " + src + ": remote sources (URLs, git) are not supported by this builder"));
    }
    if (auto p = context_path(src); !p) return fail(at_line(line, p.error().message));
  }
  return {};
}

// The --from values of a stage, expanded against its ARGs and ENV as far as the Dockerfile
// says (the base image's ENV is not known before it is pulled).
Result<std::vector<std::pair<std::string, int>>> from_values(const Stage& stage, const BuildArgs& args,
                                                             char escape) {
  std::vector<std::pair<std::string, int>> out;
  StageArgs scope = args.stage();
  Vars env;
  for (const auto& ins : stage.commands) {
    // Variables the base image's ENV may set stay as written: no false "${X?}" errors.
    auto e = expand_instruction(ins, scope.expansion_env(env), escape, true);
    if (!e) return std::unexpected(e.error());
    if (auto* a = std::get_if<ArgCmd>(&e->payload)) {
      for (auto& d : a->args) scope.declare(d);
    } else if (auto* v = std::get_if<EnvCmd>(&e->payload)) {
      for (auto& kv : v->vars) env[kv.key] = kv.value;
    } else if (auto* c = std::get_if<CopyCmd>(&e->payload)) {
      if (!c->from.empty()) {
        out.emplace_back(c->from, ins.line);
        continue;
      }
      BERTH_CHECK(check_context_sources(*c, ins.line), "");
    } else if (auto* r = std::get_if<RunCmd>(&e->payload)) {
      for (auto& m : r->mounts) {
        if (!m.from.empty()) out.emplace_back(m.from, ins.line);
      }
    }
  }
  return out;
}

}  // namespace

Result<FromRef> resolve_from(const std::vector<PlannedStage>& stages, std::string_view value) {
  std::string name = ascii_lower(value);
  for (const auto& s : stages) {
    if (!s.name.empty() && s.name == name) return FromRef{s.index, ""};
  }
  int index = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), index);
  if (!value.empty() && ec == std::errc() && p == value.data() + value.size()) {
    if (index < 0 || index >= int(stages.size())) {
      return fail(ErrorKind::Invalid, "invalid from flag value " + std::string(value) + ": stage index out of range");
    }
    return FromRef{index, ""};
  }
  return FromRef{std::nullopt, std::string(value)};
}

Result<BuildPlan> plan_build(const Dockerfile& df, const BuildArgs& args, std::string_view target) {
  BuildPlan plan;
  // The stages, their names and bases. FROM names only stages before it.
  for (const auto& st : df.stages) {
    auto from = expand_instruction(st.from, args.meta_vars(), df.escape);
    if (!from) return std::unexpected(from.error());
    const auto& f = std::get<FromCmd>(from->payload);
    PlannedStage p;
    p.index = st.index;
    p.name = st.from_cmd().stage_name;
    p.base = f.base;
    p.platform = f.platform;
    if (p.base.empty()) return fail(at_line(st.from.line, "base name (" + st.from_cmd().base + ") should not be blank"));
    for (const auto& earlier : plan.stages) {
      if (!p.name.empty() && earlier.name == p.name) {
        return fail(at_line(st.from.line, "duplicate stage name \"" + p.name + "\""));
      }
      if (!earlier.name.empty() && earlier.name == ascii_lower(p.base)) p.base_stage = earlier.index;
    }
    if (p.base_stage) p.deps.push_back(*p.base_stage);
    plan.stages.push_back(std::move(p));
  }
  // COPY --from and RUN --mount from= may name any stage, even a later one: cycles are checked below.
  for (const auto& st : df.stages) {
    auto& p = plan.stages[st.index];
    auto froms = from_values(st, args, df.escape);
    if (!froms) return std::unexpected(froms.error());
    for (auto& [value, line] : *froms) {
      auto ref = resolve_from(plan.stages, value);
      if (!ref) return fail(at_line(line, ref.error().message));
      if (ref->stage) {
        if (*ref->stage == st.index) {
          return fail(at_line(line, "circular dependency detected on stage: " + stage_label(p)));
        }
        p.deps.push_back(*ref->stage);
      } else if (std::ranges::find(p.images, ref->image) == p.images.end()) {
        p.images.push_back(ref->image);
      }
    }
    std::ranges::sort(p.deps);
    p.deps.erase(std::unique(p.deps.begin(), p.deps.end()), p.deps.end());
  }

  if (target.empty()) {
    plan.target = int(plan.stages.size()) - 1;
  } else {
    auto it = std::ranges::find_if(plan.stages, [&](const PlannedStage& s) { return !s.name.empty() && s.name == ascii_lower(target); });
    if (it == plan.stages.end()) {
      return fail(ErrorKind::Invalid, "failed to reach build target " + std::string(target) + " in Dockerfile");
    }
    plan.target = it->index;
  }

  // Depth-first from the target: the needed stages in dependency order, and their depth.
  std::vector<int> state(plan.stages.size(), 0);  // 0 new, 1 on the path, 2 done
  std::vector<int> depth(plan.stages.size(), 0);
  auto visit = [&](auto&& self, int i) -> Result<> {
    if (state[i] == 2) return {};
    if (state[i] == 1) return fail(ErrorKind::Invalid, "circular dependency detected on stage: " + stage_label(plan.stages[i]));
    state[i] = 1;
    for (int d : plan.stages[i].deps) {
      BERTH_CHECK(self(self, d), "");
      depth[i] = std::max(depth[i], depth[d] + 1);
    }
    state[i] = 2;
    plan.needed.push_back(i);
    return {};
  };
  BERTH_CHECK(visit(visit, plan.target), "");
  // A cycle among stages the target does not need is still a broken Dockerfile.
  for (size_t i = 0; i < plan.stages.size(); ++i) {
    if (state[i] == 0) {
      std::vector<int> saved = plan.needed;
      BERTH_CHECK(visit(visit, int(i)), "");
      plan.needed = std::move(saved);
    }
  }
  for (int i : plan.needed) {
    if (int(plan.waves.size()) <= depth[i]) plan.waves.resize(depth[i] + 1);
    plan.waves[depth[i]].push_back(i);
  }
  for (auto& w : plan.waves) std::ranges::sort(w);
  return plan;
}

}  // namespace berth::engine::build
