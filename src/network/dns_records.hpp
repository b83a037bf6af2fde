// The embedded resolver's table: per network, each container's address and the names it
// answers to there (container name, aliases, short ID). A container only sees the names of
// networks it is on itself. Thread-safe: the engine edits it while the DNS thread reads.
#pragma once
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "network/dns_message.hpp"
#include "network/ipv4.hpp"

namespace berth::network {

class DnsRecords {
 public:
  // names are stored canonical (lower case); an empty name is skipped.
  void add(const std::string& network_id, const std::string& network_name, const std::string& container_id,
           Ipv4 ip, const std::vector<std::string>& names);
  void remove_container(const std::string& container_id);

  // The addresses a canonical name has on the networks asker is on, in the order they were
  // added; empty when it has none.
  std::vector<Ipv4> lookup(const std::string& asker, const std::string& name) const;
  // "name.network" of the container with ip on one of asker's networks.
  std::optional<std::string> reverse(const std::string& asker, Ipv4 ip) const;

  // The answer the embedded resolver gives itself, or nullopt when the query goes upstream:
  // A of a known name, NOERROR without answers for another type of a known name (AAAA: no
  // IPv6 here), PTR of an address on asker's networks.
  std::optional<std::vector<uint8_t>> answer(const std::string& asker, const dns::Query& q) const;

  static constexpr uint32_t kTtl = 600;  // as dockerd's

 private:
  struct Entry {
    std::string network_name, container_id;
    Ipv4 ip;
    std::vector<std::string> names;
  };
  std::vector<const Entry*> visible(const std::string& asker) const;  // mu_ held

  mutable std::mutex mu_;
  std::map<std::string, std::vector<Entry>> by_network_;  // network ID -> members
};

}  // namespace berth::network
