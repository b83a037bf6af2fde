// berth history IMAGE: its layers, newest first.
#include <cstdio>

#include "cli.hpp"
#include "go_template.hpp"
#include "units.hpp"

namespace berth::cli {

void add_history(CLI::App& app, Cli& cli) {
  auto* sub = app.add_subcommand("history", "Show the history of an image");
  struct Options {
    std::string name, format;
    bool quiet = false, no_trunc = false, human = true;
  };
  auto o = std::make_shared<Options>();
  sub->add_option("image", o->name, "IMAGE")->required();
  sub->add_flag("-q,--quiet", o->quiet, "Only show image IDs");
  sub->add_flag("--no-trunc", o->no_trunc, "Don't truncate output");
  sub->add_option("--format", o->format, "Format output using a Go template");
  sub->callback([&cli, o] {
    auto h = cli.get_json("/images/" + o->name + "/history");
    if (!h) return;
    std::string fmt = o->quiet ? "{{.ID}}"
                      : o->format.empty() ? "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
                                          : o->format;
    auto t = GoTemplate::parse(fmt, {{"ID", "IMAGE"}, {"CreatedSince", "CREATED"}, {"CreatedBy", "CREATED BY"}});
    if (!t) return (void)cli.error(t.error().message);
    std::vector<std::string> lines;
    if (t->table()) lines.push_back(t->header());
    for (auto& e : *h) {
      std::string id = e.value("Id", "");
      if (!o->no_trunc && id.starts_with("sha256:")) id = id.substr(7, 12);
      std::string by = e.value("CreatedBy", "");
      if (!o->no_trunc && by.size() > 45) by = by.substr(0, 44) + "…";
      int64_t created = e.value("Created", int64_t{0});
      lines.push_back(t->render({{"ID", id}, {"CreatedSince", time_ago(created)}, {"CreatedAt", go_time(created)},
                                 {"CreatedBy", by}, {"Size", human_size(e.value("Size", int64_t{0}))},
                                 {"Comment", e.value("Comment", "")}}));
    }
    if (t->table()) std::fputs(align_columns(lines).c_str(), stdout);
    else for (auto& l : lines) std::printf("%s\n", l.c_str());
  });
}

}  // namespace berth::cli
