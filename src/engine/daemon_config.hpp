// berthd's configuration: daemon.json with dockerd's keys (where they mean the same thing)
// merged with command-line flags. An unknown key, a value of the wrong type, an option given
// both as a flag and in the file, or a storage driver other than overlay2 fails start-up with
// the key named, as dockerd does.
#pragma once
#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "engine/userns_remap.hpp"
#include "network/address_pool.hpp"

namespace berth::engine {

struct Ulimit {
  std::string name;
  int64_t soft = 0, hard = 0;
};

struct RuntimeEntry {
  std::string path;  // an external OCI runtime with runc's CLI
  std::vector<std::string> args;
};

// The Kubernetes CRI ("cri" in daemon.json; --cri-socket): served only when socket is set.
struct CriConfig {
  std::string socket;  // absolute path of the gRPC unix socket
  // Registry domain ("docker.io", "registry.k8s.io") -> mirror endpoints ("http://127.0.0.1:5000"),
  // tried in order before the registry itself.
  std::map<std::string, std::vector<std::string>> registry_mirrors;
  // Pod networking: the CNI network config (the lexically first file) and the plugins.
  std::string cni_conf_dir = "/etc/cni/net.d";
  std::string cni_bin_dir = "/usr/lib/cni";
  // The streaming server that Exec, Attach and PortForward's URLs point at (containerd's
  // stream_server_address and stream_server_port): an IPv4 address, a port (0: any free one).
  std::string stream_address = "127.0.0.1";
  uint16_t stream_port = 0;
  bool enabled() const { return !socket.empty(); }
};

struct DaemonConfig {
  std::string data_root = "/var/lib/berth";
  std::string exec_root = "/run/berth";
  std::vector<std::string> hosts;  // empty: unix://<exec-root>/berthd.sock
  std::string pidfile;             // empty: <exec-root>/berthd.pid
  std::string group = "berth";     // owner group of the unix sockets, when it exists
  bool debug = false;
  std::string log_level = "info";
  std::string log_driver = "json-file";
  std::map<std::string, std::string> log_opts;
  std::map<std::string, Ulimit> default_ulimits;
  std::string default_runtime = "berth";  // the in-process runtime
  std::map<std::string, RuntimeEntry> runtimes;
  bool live_restore = true;  // accepted for compatibility: restore is always on
  std::vector<std::string> insecure_registries, registry_mirrors;
  std::string storage_driver = "overlay2";
  bool init = false;  // every container gets --init unless its HostConfig.Init says otherwise
  std::string init_path = "/usr/bin/tini-static";  // Debian's tini package
  bool tls = false, tlsverify = false;
  std::string tlscacert, tlscert, tlskey;
  // Networking: the default bridge's link name, its "gateway/len" (bip), its MTU (0: the
  // kernel's), and where networks without --subnet get theirs (empty: Docker's defaults).
  std::string bridge = "berth0";
  std::string bip;
  unsigned mtu = 0;
  std::vector<network::AddressPool> default_address_pools;
  // berth's extension "resolv-conf": the file berthd takes the host's resolvers from (copied
  // into default-bridge containers, forwarded to by the embedded DNS of user networks).
  std::string resolv_conf = "/etc/resolv.conf";
  CriConfig cri;
  // "userns-remap" as given ("" off), and what it resolved to at berthd's start (Daemon::open).
  std::string userns_remap;
  std::optional<UsernsRemap> remap;

  std::vector<std::string> effective_hosts() const;
  std::string effective_pidfile() const;
};

// file_text: daemon.json's content ("" when there is none). flags: the options given on the
// command line, as a JSON object keyed like daemon.json ("data-root", "hosts", "debug", ...;
// --cri-socket as {"cri": {"socket": ...}}: an object key conflicts only in the members both set).
Result<DaemonConfig> load_daemon_config(std::string_view file_text, const nlohmann::json& flags);

// Reads the file at path; a missing file is no configuration unless required (--config-file given).
Result<std::string> read_daemon_json(const std::string& path, bool required);

}  // namespace berth::engine
