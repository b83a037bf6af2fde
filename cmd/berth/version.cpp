// berth version: the client's and the daemon's versions, as docker prints them.
#include <cstdio>

#include "api/api_version.hpp"
#include "api/routes.hpp"
#include "cli.hpp"
#include "go_template.hpp"

namespace berth::cli {

void add_version(CLI::App& app, Cli& cli) {
  auto* sub = app.add_subcommand("version", "Show the berth version information");
  auto format = std::make_shared<std::string>();
  sub->add_option("-f,--format", *format, "Format output using a Go template");
  sub->callback([&cli, format] {
    nlohmann::json client = {{"Version", api::kEngineVersion}, {"ApiVersion", std::string(api::kMaxApiVersion)},
                             {"Os", "linux"}, {"Arch", "amd64"}};
    auto server = cli.get_json("/version");
    if (!format->empty()) {
      auto t = GoTemplate::parse(*format);
      if (!t) return (void)cli.error(t.error().message);
      if (client.contains("ApiVersion") && cli.client) client["ApiVersion"] = cli.client->version();
      std::printf("%s\n", t->render({{"Client", client}, {"Server", server ? *server : nullptr}}).c_str());
      return;
    }
    std::printf("Client:\n Version:           %s\n API version:       %s\n OS/Arch:           linux/amd64\n",
                api::kEngineVersion, cli.client ? cli.client->version().c_str() : std::string(api::kMaxApiVersion).c_str());
    if (!server) return;
    auto s = *server;
    std::printf("\nServer: %s\n Engine:\n  Version:          %s\n  API version:      %s (minimum version %s)\n"
                "  OS/Arch:          %s/%s\n  Kernel:           %s\n",
                s["Platform"].value("Name", "").c_str(), s.value("Version", "").c_str(), s.value("ApiVersion", "").c_str(),
                s.value("MinAPIVersion", "").c_str(), s.value("Os", "").c_str(), s.value("Arch", "").c_str(),
                s.value("KernelVersion", "").c_str());
  });
}

}  // namespace berth::cli
