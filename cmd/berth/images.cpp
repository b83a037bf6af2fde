// berth images / berth image ls: docker's columns, filters, -q, --digests, --format.
#include <cstdio>

#include "cli.hpp"
#include "go_template.hpp"
#include "image/reference.hpp"
#include "units.hpp"

namespace berth::cli {

namespace {

struct ImagesOptions {
  std::string repo, format;
  std::vector<std::string> filters;
  bool all = false, quiet = false, digests = false, no_trunc = false;
};

// One row per repository tag (an untagged image is one "<none>" row), as docker lists them.
std::vector<nlohmann::json> rows_of(const nlohmann::json& img, bool no_trunc) {
  std::vector<nlohmann::json> rows;
  std::string id = img.value("Id", "");
  std::string shown = no_trunc ? id : id.substr(id.find(':') + 1, 12);
  int64_t created = img.value("Created", int64_t{0}), size = img.value("Size", int64_t{0});
  auto digest_for = [&](const std::string& repo) {
    for (auto& d : img.value("RepoDigests", nlohmann::json::array())) {
      std::string s = d.get<std::string>();
      auto at = s.find('@');
      if (at != std::string::npos && (repo.empty() || s.substr(0, at) == repo)) return s.substr(at + 1);
    }
    return std::string("<none>");
  };
  auto row = [&](const std::string& repo, const std::string& tag, const std::string& digest) {
    return nlohmann::json{{"Containers", "N/A"}, {"CreatedAt", go_time(created)}, {"CreatedSince", time_ago(created)},
                          {"Digest", digest}, {"ID", shown}, {"Repository", repo}, {"SharedSize", "N/A"},
                          {"Size", human_size(size)}, {"Tag", tag}, {"UniqueSize", "N/A"},
                          {"VirtualSize", human_size(size)}};
  };
  auto tags = img.value("RepoTags", nlohmann::json::array());
  for (auto& t : tags) {
    std::string s = t.get<std::string>();
    auto colon = s.rfind(':');
    std::string repo = s.substr(0, colon), tag = s.substr(colon + 1);
    rows.push_back(row(repo, tag, digest_for(repo)));
  }
  if (rows.empty()) {
    auto digests = img.value("RepoDigests", nlohmann::json::array());
    std::string repo = digests.empty() ? "<none>" : digests[0].get<std::string>().substr(0, digests[0].get<std::string>().find('@'));
    rows.push_back(row(repo, "<none>", digest_for(digests.empty() ? "" : repo)));
  }
  return rows;
}

int run_images(Cli& cli, const ImagesOptions& o) {
  auto parsed = filters_json(cli, o.filters);
  if (!parsed) return cli.exit_code;
  nlohmann::json filters = *parsed;
  if (!o.repo.empty()) filters["reference"][o.repo] = true;
  std::string path = "/images/json" + std::string(o.all ? "?all=1" : "?all=0");
  if (!filters.empty()) path += "&filters=" + q(filters.dump());
  auto list = cli.get_json(path);
  if (!list) return cli.exit_code;
  if (o.quiet) {
    for (auto& img : *list)
      for (auto& r : rows_of(img, o.no_trunc)) std::printf("%s\n", r["ID"].get<std::string>().c_str());
    return 0;
  }
  std::string fmt = o.format;
  if (fmt.empty() || fmt == "table")
    fmt = o.digests ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
                    : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
  auto t = GoTemplate::parse(fmt, {{"ID", "IMAGE ID"}, {"CreatedSince", "CREATED"}, {"CreatedAt", "CREATED AT"}});
  if (!t) return cli.error(t.error().message);
  std::vector<std::string> lines;
  if (t->table()) lines.push_back(t->header());
  for (auto& img : *list)
    for (auto& r : rows_of(img, o.no_trunc)) lines.push_back(t->render(r));
  if (t->table()) {
    std::fputs(align_columns(lines).c_str(), stdout);
  } else {
    for (auto& l : lines) std::printf("%s\n", l.c_str());
  }
  return 0;
}

void add_images_to(CLI::App* sub, Cli& cli) {
  auto o = std::make_shared<ImagesOptions>();
  sub->add_option("repository", o->repo, "Only images of this repository (REPOSITORY[:TAG])");
  sub->add_flag("-a,--all", o->all, "Show all images");
  sub->add_flag("-q,--quiet", o->quiet, "Only show image IDs");
  sub->add_flag("--digests", o->digests, "Show digests");
  sub->add_flag("--no-trunc", o->no_trunc, "Don't truncate output");
  sub->add_option("-f,--filter", o->filters, "Filter output based on conditions provided");
  sub->add_option("--format", o->format, "Format output using a Go template");
  sub->callback([&cli, o] { cli.exit_code = run_images(cli, *o); });
}

}  // namespace

void add_images(CLI::App& app, Cli& cli) {
  add_images_to(app.add_subcommand("images", "List images"), cli);
  auto* image = app.get_subcommand("image");
  add_images_to(image->add_subcommand("ls", "List images")->alias("list"), cli);
}

}  // namespace berth::cli
