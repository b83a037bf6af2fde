// berth inspect NAME...: containers and images (networks and volumes come with their
// endpoints). Without --type each name is tried as a container, then as an image, as docker
// does; the JSON array docker prints, or --format per object.
#include <cstdio>
#include <set>

#include "cli.hpp"
#include "go_template.hpp"

namespace berth::cli {

namespace {

struct InspectOptions {
  std::vector<std::string> names;
  std::string format, type;
  bool size = false;
};

// GET of one object of one kind: the document, or nullopt with the response kept for errors.
struct Lookup {
  std::optional<nlohmann::json> doc;
  std::optional<api::ClientResponse> failed;
};

Result<Lookup> lookup(api::ApiClient& c, const std::string& kind, const std::string& name, bool size) {
  std::string path = kind == "container" ? "/containers/" + q(name) + "/json" + (size ? "?size=1" : "")
                                         : "/images/" + q(name) + "/json";
  auto r = BERTH_TRY(c.call("GET", path), "");
  Lookup out;
  if (r.status == 200) {
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (j.is_discarded()) return fail(ErrorKind::Internal, "malformed response from the daemon");
    out.doc = std::move(j);
  } else {
    out.failed = std::move(r);
  }
  return out;
}

void run_inspect(Cli& cli, const InspectOptions& o) {
  if (!o.type.empty() && o.type != "container" && o.type != "image") {
    static const std::set<std::string> docker_types = {"config", "network", "node",   "plugin",
                                                       "secret", "service", "task", "volume"};
    if (!docker_types.count(o.type)) return (void)cli.error("\"" + o.type + "\" is not a valid value for --type");
    return (void)cli.error("inspecting objects of type \"" + o.type + "\" is not supported yet");
  }
  auto* c = cli.api();
  if (!c) return;
  std::optional<GoTemplate> t;
  if (!o.format.empty()) {
    auto parsed = GoTemplate::parse(o.format);
    if (!parsed) return (void)cli.error(parsed.error().message);
    t = *parsed;
  }
  std::vector<std::string> kinds = o.type.empty() ? std::vector<std::string>{"container", "image"}
                                                  : std::vector<std::string>{o.type};
  nlohmann::json all = nlohmann::json::array();
  std::vector<std::string> errors;
  for (auto& n : o.names) {
    std::optional<nlohmann::json> doc;
    std::optional<api::ClientResponse> other;  // an error that is not "not found"
    for (auto& kind : kinds) {
      auto l = lookup(*c, kind, n, o.size);
      if (!l) return (void)cli.error(l.error().what());
      if (l->doc) {
        doc = std::move(l->doc);
        break;
      }
      if (l->failed->status != 404 || !o.type.empty()) {
        other = std::move(l->failed);
        break;
      }
    }
    if (doc) {
      if (t) std::printf("%s\n", t->render(*doc).c_str());
      else all.push_back(std::move(*doc));
    } else if (other) {
      errors.push_back("Error response from daemon: " + api::error_message(*other));
    } else {
      errors.push_back("Error: No such object: " + n);
    }
  }
  if (!t) std::printf("%s\n", all.dump(4).c_str());
  for (auto& e : errors) std::fprintf(stderr, "%s\n", e.c_str());
  if (!errors.empty()) cli.exit_code = 1;
}

void register_on(CLI::App* sub, Cli& cli, const std::string& fixed_type) {
  auto o = std::make_shared<InspectOptions>();
  o->type = fixed_type;
  sub->add_option("names", o->names, "NAME|ID...")->required();
  sub->add_option("-f,--format", o->format, "Format output using a Go template");
  if (fixed_type != "image") sub->add_flag("-s,--size", o->size, "Display total file sizes if the type is container");
  if (fixed_type.empty()) sub->add_option("--type", o->type, "Only inspect objects of the given type");
  sub->callback([&cli, o] { run_inspect(cli, *o); });
}

}  // namespace

void add_inspect(CLI::App& app, Cli& cli) {
  register_on(app.add_subcommand("inspect", "Return low-level information on objects"), cli, "");
  register_on(app.get_subcommand("image")->add_subcommand("inspect", "Display detailed information on images"), cli,
              "image");
}

void add_container_inspect(CLI::App& container, Cli& cli) {
  register_on(container.add_subcommand("inspect", "Display detailed information on one or more containers"), cli,
              "container");
}

}  // namespace berth::cli
