// Networks as berthd keeps them: the predefined bridge, host and none, user-defined bridge
// networks, their bridges and NAT (nat_rules.hpp), and each running container's interfaces.
// A container on bridge networks gets a persistent namespace at netns_path(id), made before
// its process starts (the runtime joins it by path), with one veth per network; detach()
// takes all of it down again. Bridges exist while berthd runs or a container uses them.
#pragma once
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "engine/background_worker.hpp"
#include "common/fd.hpp"
#include "engine/network_store.hpp"
#include "engine/port_bindings.hpp"
#include "network/address_pool.hpp"
#include "network/dns_records.hpp"
#include "network/dns_server.hpp"
#include "network/ipam.hpp"

namespace berth::network {
class Netlink;
}

namespace berth::engine {

struct NetworkServiceOptions {
  std::string data_root, exec_root;
  std::vector<network::AddressPool> pools = network::default_address_pools();
  std::string bip;                     // the default bridge's "gateway/len" (daemon.json "bip")
  std::string default_bridge = "berth0";
  unsigned mtu = 0;                    // daemon.json "mtu": the default bridge's
  std::string resolv_conf = "/etc/resolv.conf";  // the embedded DNS's upstreams
};

struct NetworkCreate {
  std::string name, driver = "bridge";
  std::string subnet, gateway, ip_range;  // "" = chosen / defaulted
  bool internal = false, attachable = false, check_duplicate = true;
  std::map<std::string, std::string> labels, options;
};

struct EndpointRequest {
  std::string network;  // name or ID
  std::string ip;       // --ip ("" = allocated)
  std::string mac = {};  // --mac-address ("" = derived from the address, as dockerd does)
  std::vector<std::string> aliases = {};  // --network-alias: names in the embedded DNS
};

// What a container answers to in the embedded DNS of its user-defined networks.
struct DnsIdentity {
  std::string name, hostname;            // container name without the "/"
  std::vector<std::string> servers;       // --dns: the upstreams instead of resolv-conf's
};

// The names a container has on a user-defined network, first the one PTR answers give
// (dockerd's DNSNames): name, aliases, short ID, hostname, without repeats.
std::vector<std::string> dns_names(const std::string& container_id, const DnsIdentity& who,
                                   const std::vector<std::string>& aliases);

// One interface of a running container.
struct Attachment {
  NetworkRecord network;
  std::string ifname;  // eth0, eth1 ... in the container
  std::string ip, mac, gateway, endpoint_id, host_link;
  int prefix_length = 0;
};

class NetworkService {
 public:
  static Result<std::unique_ptr<NetworkService>> open(NetworkServiceOptions o);
  ~NetworkService();

  // At start: the predefined networks exist, every bridge network's bridge is up, the nft table
  // matches the networks, and endpoints of containers not in `running` are released (their
  // links and namespaces too: berthd may have died while they ran).
  Result<> restore(const std::set<std::string>& running);
  // At shutdown: bridges no running container uses are removed (restore makes them again).
  void shutdown(const std::set<std::string>& running);

  Result<NetworkRecord> create(const NetworkCreate& req);
  Result<NetworkRecord> find(std::string_view ref) const;  // full ID, name, unique ID prefix
  Result<std::vector<NetworkRecord>> list() const;
  Result<std::vector<EndpointRecord>> endpoints(const std::string& network_id) const;
  // A container's endpoints with their networks, in the order it was connected.
  Result<std::vector<std::pair<NetworkRecord, EndpointRecord>>> container_endpoints(const std::string& container_id) const;
  Result<> remove(std::string_view ref);

  std::string netns_path(const std::string& container_id) const;
  // A namespace with only lo (--network none).
  Result<> make_isolated_netns(const std::string& container_id);
  // The namespace and one interface per request, the first giving the default route, and the
  // published ports DNATed to the first interface's address (endpoint_name names it in errors,
  // as dockerd does: the container's name); on error nothing of it is left.
  Result<std::vector<Attachment>> attach(const std::string& container_id, const std::vector<EndpointRequest>& reqs,
                                         const std::vector<PortRequest>& ports = {},
                                         const std::string& endpoint_name = "");
  Result<std::vector<PortRecord>> published_ports(const std::string& container_id) const;
  // A running container's namespace gets one more interface (the next free ethN); 403 when it
  // is on that network already. Nothing is left of a failed one.
  Result<Attachment> connect(const std::string& container_id, const EndpointRequest& req);
  // Takes one network's interface out of a running container (and ports published on it).
  Result<> disconnect(const std::string& container_id, const std::string& network_id);
  // Removes the container's interfaces, namespace, DNS names and resolver sockets, and
  // releases its allocated addresses.
  Result<> detach(const std::string& container_id);
  // After attach (or at berthd's start for a running container): its names on each
  // user-defined network it is on (reqs give the aliases) and the embedded resolver at
  // 127.0.0.11 in its namespace. Nothing when it is only on the default bridge.
  Result<> serve_dns(const std::string& container_id, const DnsIdentity& who, const std::vector<EndpointRequest>& reqs);
  // Its names again (a rename), the resolver's sockets untouched; true when it has any.
  Result<bool> update_dns_names(const std::string& container_id, const DnsIdentity& who,
                                const std::vector<EndpointRequest>& reqs);
  // Waits until every detached container's veths are gone and its addresses released (they go
  // in the background: tests and shutdown wait here).
  void settle();
  // Containers the embedded resolver serves (for tests and leak checks).
  size_t dns_clients() const;

 private:
  explicit NetworkService(NetworkServiceOptions o) : opts_(std::move(o)) {}
  Result<> ensure_predefined();
  Result<> ensure_bridge(const NetworkRecord& n);
  Result<> apply_nat();  // mu_ held
  Result<network::SubnetAllocator*> allocator(const NetworkRecord& n);  // mu_ held
  Result<NetworkRecord> find_locked(std::string_view ref) const;
  Result<> detach_locked(const std::string& container_id);
  Result<Attachment> attach_one_locked(const std::string& container_id, int nsfd, network::Netlink& host,
                                       network::Netlink& ctr, const EndpointRequest& req, const std::string& ifname,
                                       bool route);
  void finish_release(const std::string& container_id, const std::vector<EndpointRecord>& eps);
  Result<> detach_endpoint_locked(const std::string& container_id, const std::string& network_id);
  Result<> publish_locked(const std::string& container_id, const std::string& endpoint_name, const Attachment& a,
                          const std::vector<PortRequest>& ports);

  NetworkServiceOptions opts_;
  std::unique_ptr<NetworkStore> store_;
  mutable std::mutex mu_;
  std::map<std::string, network::SubnetAllocator> allocators_;  // by network ID
  std::map<std::string, std::vector<UniqueFd>> held_ports_;      // by container ID
  // Detached containers whose veths the reaper still deletes; their endpoints and addresses
  // stay in the store until then.
  std::map<std::string, std::vector<EndpointRecord>> releasing_;
  std::condition_variable released_cv_;
  network::DnsRecords dns_records_;
  std::unique_ptr<network::DnsServer> dns_;  // after dns_records_: its thread reads them
  std::unique_ptr<BackgroundWorker> reaper_;  // last: destroyed first, finishing its releases
};

}  // namespace berth::engine
