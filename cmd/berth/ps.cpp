// berth ps / berth container ls: docker's flags (-a -q -n -l -s --no-trunc -f --format),
// columns and table layout over GET /containers/json.
#include <cstdio>
#include <ctime>

#include "cli.hpp"
#include "engine/container_namespace.hpp"
#include "container_format.hpp"
#include "go_template.hpp"

namespace berth::cli {

namespace {

struct PsOptions {
  bool all = false, quiet = false, latest = false, size = false, no_trunc = false;
  int last = -1;
  std::vector<std::string> filters;
  std::string format, ns;
};

int run_ps(Cli& cli, const PsOptions& o) {
  // --namespace: another client's containers (the CRI's are in k8s.io), by their label.
  auto wanted = o.filters;
  if (!o.ns.empty()) wanted.push_back(std::string("label=") + engine::kNamespaceLabel + "=" + o.ns);
  auto filters = filters_json(cli, wanted);
  if (!filters) return cli.exit_code;
  int limit = o.last > 0 ? o.last : o.latest ? 1 : -1;
  // docker asks for sizes when -s is given or the template shows them ({{json .}} does).
  bool size = o.size || (!o.quiet && (o.format.find(".Size") != std::string::npos || o.format == "{{json .}}"));
  std::string path = "/containers/json?all=" + std::string(o.all ? "1" : "0");
  if (limit > 0) path += "&limit=" + std::to_string(limit);
  if (size) path += "&size=1";
  if (!filters->empty()) path += "&filters=" + q(filters->dump());
  auto list = cli.get_json(path);
  if (!list) return cli.exit_code;
  bool trunc = !o.no_trunc;
  int64_t now = std::time(nullptr);
  if (o.quiet) {
    for (auto& c : *list) std::printf("%s\n", ps_row(c, trunc, now)["ID"].get<std::string>().c_str());
    return 0;
  }
  std::string fmt = o.format.empty() || o.format == "table" ? ps_default_format(o.size) : o.format;
  auto t = GoTemplate::parse(fmt, ps_headers());
  if (!t) return cli.error(t.error().message);
  std::vector<std::string> lines;
  if (t->table()) lines.push_back(t->header());
  for (auto& c : *list) lines.push_back(t->render(ps_row(c, trunc, now)));
  if (t->table()) {
    std::fputs(align_columns(lines).c_str(), stdout);
  } else {
    for (auto& l : lines) std::printf("%s\n", l.c_str());
  }
  return 0;
}

void add_ps_to(CLI::App* sub, Cli& cli) {
  auto o = std::make_shared<PsOptions>();
  sub->add_flag("-a,--all", o->all, "Show all containers (default shows just running)");
  sub->add_option("-f,--filter", o->filters, "Filter output based on conditions provided");
  sub->add_option("--format", o->format, "Format output using a Go template");
  sub->add_option("--namespace", o->ns, "Show the containers of another namespace (k8s.io: the CRI's pods)");
  sub->add_option("-n,--last", o->last, "Show n last created containers (includes all states)");
  sub->add_flag("-l,--latest", o->latest, "Show the latest created container (includes all states)");
  sub->add_flag("--no-trunc", o->no_trunc, "Don't truncate output");
  sub->add_flag("-q,--quiet", o->quiet, "Only display container IDs");
  sub->add_flag("-s,--size", o->size, "Display total file sizes");
  sub->callback([&cli, o] { cli.exit_code = run_ps(cli, *o); });
}

}  // namespace

void add_ps(CLI::App& app, Cli& cli) { add_ps_to(app.add_subcommand("ps", "List containers"), cli); }

void add_container_ls(CLI::App& container, Cli& cli) {
  add_ps_to(container.add_subcommand("ls", "List containers")->alias("list")->alias("ps"), cli);
}

}  // namespace berth::cli
