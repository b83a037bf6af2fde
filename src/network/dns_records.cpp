#include "network/dns_records.hpp"

#include <algorithm>

namespace berth::network {

void DnsRecords::add(const std::string& network_id, const std::string& network_name, const std::string& container_id,
                     Ipv4 ip, const std::vector<std::string>& names) {
  Entry e{network_name, container_id, ip, {}};
  for (auto& n : names) {
    auto c = dns::canonical_name(n);
    if (!c.empty() && std::ranges::find(e.names, c) == e.names.end()) e.names.push_back(c);
  }
  std::lock_guard lk(mu_);
  auto& members = by_network_[network_id];
  std::erase_if(members, [&](const Entry& m) { return m.container_id == container_id; });
  members.push_back(std::move(e));
}

void DnsRecords::remove_container(const std::string& container_id) {
  std::lock_guard lk(mu_);
  for (auto it = by_network_.begin(); it != by_network_.end();) {
    std::erase_if(it->second, [&](const Entry& m) { return m.container_id == container_id; });
    it = it->second.empty() ? by_network_.erase(it) : std::next(it);
  }
}

std::vector<const DnsRecords::Entry*> DnsRecords::visible(const std::string& asker) const {
  std::vector<const Entry*> out;
  for (auto& [_, members] : by_network_)
    if (std::ranges::any_of(members, [&](const Entry& m) { return m.container_id == asker; }))
      for (auto& m : members) out.push_back(&m);
  return out;
}

std::vector<Ipv4> DnsRecords::lookup(const std::string& asker, const std::string& name) const {
  std::lock_guard lk(mu_);
  std::vector<Ipv4> out;
  for (auto* e : visible(asker))
    if (std::ranges::find(e->names, name) != e->names.end() && std::ranges::find(out, e->ip) == out.end())
      out.push_back(e->ip);
  return out;
}

std::optional<std::string> DnsRecords::reverse(const std::string& asker, Ipv4 ip) const {
  std::lock_guard lk(mu_);
  for (auto* e : visible(asker))
    if (e->ip == ip && !e->names.empty()) return e->names.front() + "." + e->network_name;
  return std::nullopt;
}

std::optional<std::vector<uint8_t>> DnsRecords::answer(const std::string& asker, const dns::Query& q) const {
  if (q.question.qclass != dns::kClassIn) return std::nullopt;
  auto name = dns::canonical_name(q.question.name);
  if (q.question.qtype == dns::kTypePtr) {
    auto ip = dns::reverse_name_address(name);
    if (!ip) return std::nullopt;
    auto target = reverse(asker, *ip);
    if (!target) return std::nullopt;
    return dns::ptr_response(q, *target, kTtl);
  }
  auto ips = lookup(asker, name);
  if (ips.empty()) return std::nullopt;
  if (q.question.qtype == dns::kTypeA) return dns::a_response(q, ips, kTtl);
  return dns::empty_response(q, dns::kNoError);
}

}  // namespace berth::network
