#include "engine/build/build_args.hpp"

#include <array>

#include "engine/build/instruction_expand.hpp"

namespace berth::engine::build {

bool is_predefined_arg(std::string_view name) {
  static constexpr std::array<std::string_view, 10> names{
      "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
      "ftp_proxy",  "NO_PROXY",   "no_proxy",    "ALL_PROXY",   "all_proxy"};
  for (auto n : names) {
    if (n == name) return true;
  }
  return false;
}

void StageArgs::declare(const ArgDecl& arg) { declared_[arg.name] = arg.default_value; }

std::optional<std::string> StageArgs::value(const std::string& name) const {
  if (auto g = given_->find(name); g != given_->end() && g->second) return g->second;
  if (auto d = declared_.find(name); d != declared_.end() && d->second) return d->second;
  if (auto m = meta_->find(name); m != meta_->end()) return m->second;
  return std::nullopt;
}

Vars StageArgs::run_args(const Vars& stage_env) const {
  Vars out;
  for (auto& [name, dflt] : declared_) {
    if (stage_env.contains(name)) continue;
    if (auto v = value(name)) out[name] = *v;
  }
  // Predefined ARGs given on the command line reach RUN without an ARG line.
  for (auto& [name, v] : *given_) {
    if (is_predefined_arg(name) && v && !stage_env.contains(name) && !out.contains(name)) out[name] = *v;
  }
  return out;
}

Vars StageArgs::expansion_env(const Vars& stage_env) const {
  Vars out = run_args(stage_env);
  for (auto& [k, v] : stage_env) out[k] = v;
  return out;
}

Vars StageArgs::history_args(const Vars& stage_env) const {
  Vars out = run_args(stage_env);
  std::erase_if(out, [&](const auto& kv) { return is_predefined_arg(kv.first) && !declared_.contains(kv.first); });
  return out;
}

BuildArgs::BuildArgs(GivenArgs given, Vars automatic)
    : given_(std::move(given)), meta_(automatic), automatic_(std::move(automatic)) {}

Result<> BuildArgs::add_meta_args(const std::vector<Instruction>& args, char escape) {
  for (const auto& ins : args) {
    auto e = expand_instruction(ins, meta_, escape);
    if (!e) return std::unexpected(e.error());
    for (const auto& a : std::get<ArgCmd>(e->payload).args) {
      meta_names_.insert(a.name);
      auto g = given_.find(a.name);
      if (g != given_.end() && g->second) {
        meta_[a.name] = *g->second;
      } else if (a.default_value) {
        meta_[a.name] = *a.default_value;
      } else if (!automatic_.contains(a.name)) {
        meta_.erase(a.name);  // declared without a value: unset, even if set before
      }
    }
  }
  return {};
}

std::optional<std::string> BuildArgs::unconsumed_warning(const std::set<std::string>& declared) const {
  std::string list;
  for (auto& [name, v] : given_) {  // sorted, as Docker prints them
    if (is_predefined_arg(name) || declared.contains(name) || meta_names_.contains(name)) continue;
    list += (list.empty() ? "" : " ") + name;
  }
  if (list.empty()) return std::nullopt;
  return "[Warning] One or more build-args [" + list + "] were not consumed";
}

std::vector<std::string> with_history_args(const Vars& history_args, std::vector<std::string> cmd) {
  if (history_args.empty()) return cmd;
  std::vector<std::string> out{"|" + std::to_string(history_args.size())};
  for (auto& [k, v] : history_args) out.push_back(k + "=" + v);  // sorted by name, as Docker
  out.insert(out.end(), std::make_move_iterator(cmd.begin()), std::make_move_iterator(cmd.end()));
  return out;
}

std::set<std::string> declared_arg_names(const Dockerfile& df, const std::vector<int>& stages) {
  std::set<std::string> out;
  for (int i : stages) {
    for (const auto& ins : df.stages.at(i).commands) {
      if (auto* a = std::get_if<ArgCmd>(&ins.payload)) {
        for (auto& d : a->args) out.insert(d.name);
      }
    }
  }
  return out;
}

}  // namespace berth::engine::build
