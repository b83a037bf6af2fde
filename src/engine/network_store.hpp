// Networks and their endpoints in SQLite. The endpoints table is IPAM's ledger: an address is
// unique per network by a constraint, so no two containers get one even if two allocators
// raced; a crash leaves rows that the network service reconciles on its next start.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace berth::engine {

struct NetworkRecord {
  std::string id;    // 64 hex
  std::string name;
  std::string driver = "bridge";  // bridge, host, null
  std::string subnet, gateway, ip_range;  // "" for host and null
  std::string bridge;  // the bridge link's name
  unsigned mtu = 0;
  bool internal = false;
  bool attachable = false;
  std::map<std::string, std::string> labels, options;
  std::string created;  // RFC 3339
};

struct EndpointRecord {
  std::string network_id, container_id;
  std::string endpoint_id;  // 64 hex, as dockerd shows it
  std::string ip;           // in the network's subnet
  std::string mac;
  std::string host_link;    // the veth's host end ("" while not running)
  bool fixed_ip = false;    // --ip: kept across restarts
};

// A host port published to a container's address while it runs.
struct PortRecord {
  std::string container_id, network_id;
  std::string proto;    // tcp, udp, sctp
  std::string host_ip;  // "0.0.0.0" for every address
  unsigned host_port = 0, container_port = 0;
  std::string container_ip;
};

class NetworkStore {
 public:
  static Result<std::unique_ptr<NetworkStore>> open(const std::string& path);
  ~NetworkStore();

  // 409 when the name is taken.
  Result<> insert(const NetworkRecord& n);
  Result<std::vector<NetworkRecord>> list() const;  // oldest first
  Result<> remove(const std::string& id);

  // 409 "Address already in use" when the network already has ip.
  Result<> add_endpoint(const EndpointRecord& e);
  Result<std::vector<EndpointRecord>> endpoints(const std::string& network_id) const;
  Result<std::vector<EndpointRecord>> endpoints_of(const std::string& container_id) const;
  Result<> set_host_link(const std::string& network_id, const std::string& container_id, const std::string& link);
  Result<> remove_endpoint(const std::string& network_id, const std::string& container_id);

  // 409 when (proto, host_ip, host_port) is taken.
  Result<> add_port(const PortRecord& p);
  Result<std::vector<PortRecord>> ports() const;  // every published port, oldest first
  Result<std::vector<PortRecord>> ports_of(const std::string& container_id) const;
  Result<> remove_ports(const std::string& container_id);

 private:
  struct Db;
  explicit NetworkStore(std::unique_ptr<Db> db);
  std::unique_ptr<Db> db_;
};

}  // namespace berth::engine
