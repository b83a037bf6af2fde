// berth events: the daemon's event stream (images for now), live or between --since and --until.
#include <cstdio>
#include <ctime>

#include "cli.hpp"
#include "go_template.hpp"

namespace berth::cli {

namespace {

// "10m", "1h" before now; a plain number or an RFC 3339 time is passed through.
std::string timestamp(const std::string& v) {
  if (v.empty() || v.find_first_not_of("0123456789") == std::string::npos || v.find('T') != std::string::npos ||
      v.find('.') != std::string::npos)
    return v;
  char unit = v.back();
  long n = std::strtol(v.c_str(), nullptr, 10);
  long mult = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : 0;
  if (mult == 0) return v;
  return std::to_string(std::time(nullptr) - n * mult);
}

std::string line_of(const nlohmann::json& e) {
  int64_t nano = e.value("timeNano", int64_t{0});
  std::time_t s = nano / 1000000000;
  std::tm tm{};
  gmtime_r(&s, &tm);
  char t[64];
  std::strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%S", &tm);
  char full[96];
  std::snprintf(full, sizeof full, "%s.%09lldZ", t, static_cast<long long>(nano % 1000000000));
  std::string attrs;
  // Bound to a name: a temporary's items() would dangle in the range-for.
  const auto attributes = e["Actor"].value("Attributes", nlohmann::json::object());
  for (auto& [k, v] : attributes.items())
    attrs += (attrs.empty() ? "" : ", ") + k + "=" + v.get<std::string>();
  return std::string(full) + " " + e.value("Type", "") + " " + e.value("Action", "") + " " +
         e["Actor"].value("ID", "") + (attrs.empty() ? "" : " (" + attrs + ")");
}

}  // namespace

void add_events(CLI::App& app, Cli& cli) {
  auto* sub = app.add_subcommand("events", "Get real time events from the server");
  struct Options {
    std::string since, until, format;
    std::vector<std::string> filters;
  };
  auto o = std::make_shared<Options>();
  sub->add_option("--since", o->since, "Show all events created since timestamp");
  sub->add_option("--until", o->until, "Stream events until this timestamp");
  sub->add_option("-f,--filter", o->filters, "Filter output based on conditions provided");
  sub->add_option("--format", o->format, "Format the output using the given Go template");
  sub->callback([&cli, o] {
    auto filters = filters_json(cli, o->filters);
    if (!filters) return;
    std::optional<GoTemplate> t;
    if (!o->format.empty()) {
      auto parsed = GoTemplate::parse(o->format);
      if (!parsed) return (void)cli.error(parsed.error().message);
      t = *parsed;
    }
    auto* c = cli.api();
    if (!c) return;
    std::string path = "/events?filters=" + q(filters->dump());
    if (!o->since.empty()) path += "&since=" + q(timestamp(o->since));
    if (!o->until.empty()) path += "&until=" + q(timestamp(o->until));
    std::string pending;
    auto r = c->stream("GET", path, {}, [&](std::string_view chunk) {
      pending.append(chunk);
      size_t nl;
      while ((nl = pending.find('\n')) != std::string::npos) {
        auto e = nlohmann::json::parse(pending.substr(0, nl), nullptr, false);
        pending.erase(0, nl + 1);
        if (!e.is_object()) continue;
        std::printf("%s\n", t ? t->render(e).c_str() : line_of(e).c_str());
        std::fflush(stdout);
      }
      return true;
    });
    if (!r) return (void)cli.error(r.error().what());
    if (r->status != 200) cli.daemon_error(*r);
  });
}

}  // namespace berth::cli
