// berth info: the daemon's system-wide facts, in docker info's layout.
#include <cstdio>

#include "cli.hpp"
#include "go_template.hpp"
#include "units.hpp"

namespace berth::cli {

void add_info(CLI::App& app, Cli& cli) {
  auto* sub = app.add_subcommand("info", "Display system-wide information");
  auto format = std::make_shared<std::string>();
  sub->add_option("-f,--format", *format, "Format output using a Go template");
  sub->callback([&cli, format] {
    auto j = cli.get_json("/info");
    if (!j) return;
    if (!format->empty()) {
      auto t = GoTemplate::parse(*format);
      if (!t) return (void)cli.error(t.error().message);
      std::printf("%s\n", t->render(*j).c_str());
      return;
    }
    auto& i = *j;
    auto str = [&](const char* k) { return i.contains(k) ? (i[k].is_string() ? i[k].get<std::string>() : i[k].dump()) : ""; };
    std::printf("Server:\n Containers: %s\n  Running: %s\n  Paused: %s\n  Stopped: %s\n Images: %s\n",
                str("Containers").c_str(), str("ContainersRunning").c_str(), str("ContainersPaused").c_str(),
                str("ContainersStopped").c_str(), str("Images").c_str());
    std::printf(" Server Version: %s\n Storage Driver: %s\n", str("ServerVersion").c_str(), str("Driver").c_str());
    for (auto& kv : i.value("DriverStatus", nlohmann::json::array()))
      if (kv.is_array() && kv.size() == 2) std::printf("  %s: %s\n", kv[0].get<std::string>().c_str(), kv[1].get<std::string>().c_str());
    std::printf(" Logging Driver: %s\n Cgroup Driver: %s\n Cgroup Version: %s\n", str("LoggingDriver").c_str(),
                str("CgroupDriver").c_str(), str("CgroupVersion").c_str());
    std::string runtimes;
    const auto runtime_map = i.value("Runtimes", nlohmann::json::object());  // named: items() of a temporary dangles
    for (auto& [k, _] : runtime_map.items()) runtimes += " " + k;
    std::printf(" Runtimes:%s\n Default Runtime: %s\n Security Options:\n", runtimes.c_str(), str("DefaultRuntime").c_str());
    for (auto& o : i.value("SecurityOptions", nlohmann::json::array())) std::printf("  %s\n", o.get<std::string>().c_str());
    std::printf(" Kernel Version: %s\n Operating System: %s\n OSType: %s\n Architecture: %s\n CPUs: %s\n"
                " Total Memory: %s\n Name: %s\n ID: %s\n Docker Root Dir: %s\n Debug Mode: %s\n Live Restore Enabled: %s\n",
                str("KernelVersion").c_str(), str("OperatingSystem").c_str(), str("OSType").c_str(),
                str("Architecture").c_str(), str("NCPU").c_str(),
                human_size(i.value("MemTotal", int64_t{0})).c_str(), str("Name").c_str(), str("ID").c_str(),
                str("DockerRootDir").c_str(), str("Debug").c_str(), str("LiveRestoreEnabled").c_str());
  });
}

}  // namespace berth::cli
