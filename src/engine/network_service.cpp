#include "engine/network_service.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <random>

#include "common/fs.hpp"
#include "common/log.hpp"
#include "engine/background_worker.hpp"
#include "engine/container_id.hpp"
#include "engine/forward_policy.hpp"
#include "engine/json_log.hpp"
#include "engine/nat_rules.hpp"
#include "network/netlink.hpp"
#include "network/netns.hpp"
#include "network/host_port.hpp"
#include "network/nftables.hpp"

namespace berth::engine {

using network::Ipv4;
using network::Ipv4Prefix;
using network::Netlink;

namespace {

constexpr const char* kBridgeNameOpt = "com.docker.network.bridge.name";
constexpr const char* kMtuOpt = "com.docker.network.driver.mtu";

bool is_bridge(const NetworkRecord& n) { return n.driver == "bridge"; }

bool predefined(const std::string& name) { return name == "bridge" || name == "host" || name == "none"; }

// Docker's MAC for an address: 02:42 then the four bytes of the IPv4 address.
network::Mac mac_for(Ipv4 ip) {
  return {0x02, 0x42, uint8_t(ip.value >> 24), uint8_t(ip.value >> 16), uint8_t(ip.value >> 8), uint8_t(ip.value)};
}

std::string random_hex(size_t n) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) s += digits[rng() % 16];
  return s;
}

// Forwarding on only when a bridge network masquerades; never turned off (other engines may
// rely on it).
// Sets a /proc/sys switch to 1 unless it is already.
Result<> sysctl_on(const std::string& path, const std::string& what) {
  auto cur = read_file(path);
  if (cur && trim(*cur) == "1") return {};
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fail_sys(what);
  bool ok = ::write(fd, "1", 1) == 1;
  ::close(fd);
  if (!ok) return fail_sys(what);
  return {};
}

// Another engine's FORWARD drop policy (forward_policy.hpp): berth's bridges get through it.
Result<> sync_forward_policy(network::Nftables& nft, const std::vector<std::string>& bridges) {
  auto chain = nft.run_json("list chain ip filter FORWARD");
  if (!chain) return {};  // no such chain: nothing drops berth's traffic there
  auto cmds = forward_accept_commands(*chain, bridges);
  if (cmds.empty()) return {};
  BERTH_CHECK(nft.run(cmds), "let berth's bridges through the filter table's FORWARD chain");
  return {};
}

Result<> enable_ip_forward() { return sysctl_on("/proc/sys/net/ipv4/ip_forward", "enable IPv4 forwarding"); }

}  // namespace

NetworkService::~NetworkService() = default;

Result<std::unique_ptr<NetworkService>> NetworkService::open(NetworkServiceOptions o) {
  std::unique_ptr<NetworkService> s(new NetworkService(std::move(o)));
  s->store_ = BERTH_TRY(NetworkStore::open(path_join(s->opts_.data_root, "networks.db")), "");
  network::DnsServerOptions dns;
  dns.resolve = [records = &s->dns_records_](const std::string& client, const network::dns::Query& q) {
    return records->answer(client, q);
  };
  s->dns_ = BERTH_TRY(network::DnsServer::start(std::move(dns)), "");
  s->reaper_ = std::make_unique<BackgroundWorker>();
  return s;
}

std::string NetworkService::netns_path(const std::string& container_id) const {
  return path_join(opts_.exec_root, "netns/" + container_id);
}

Result<> NetworkService::ensure_predefined() {
  auto nets = BERTH_TRY(store_->list(), "");
  auto has = [&](const std::string& name) { return std::ranges::any_of(nets, [&](auto& n) { return n.name == name; }); };
  for (const char* name : {"host", "none"}) {
    if (has(name)) continue;
    NetworkRecord n;
    n.id = generate_id();
    n.name = name;
    n.driver = std::string(name) == "host" ? "host" : "null";
    n.created = rfc3339_now();
    BERTH_CHECK(store_->insert(n), "");
  }
  if (has("bridge")) return {};
  NetworkRecord n;
  n.id = generate_id();
  n.name = "bridge";
  n.bridge = opts_.default_bridge;
  n.mtu = opts_.mtu;
  n.created = rfc3339_now();
  if (!opts_.bip.empty()) {
    auto slash = opts_.bip.find('/');
    auto gw = BERTH_TRY(Ipv4::parse(opts_.bip.substr(0, slash)), "bip");
    int len = slash == std::string::npos ? 24 : std::stoi(opts_.bip.substr(slash + 1));
    n.subnet = Ipv4Prefix::of(gw, len).str();
    n.gateway = gw.str();
  } else {
    auto nl = BERTH_TRY(Netlink::open(), "");
    auto in_use = BERTH_TRY(network::prefixes_in_use(nl), "");
    for (auto& other : nets)
      if (auto p = Ipv4Prefix::parse(other.subnet)) in_use.push_back(*p);
    auto subnet = BERTH_TRY(network::choose_subnet(opts_.pools, in_use), "default bridge network");
    n.subnet = subnet.str();
    n.gateway = Ipv4{subnet.base.value + 1}.str();
  }
  n.options = {{"com.docker.network.bridge.default_bridge", "true"},
               {"com.docker.network.bridge.enable_icc", "true"},
               {"com.docker.network.bridge.enable_ip_masquerade", "true"},
               {"com.docker.network.bridge.host_binding_ipv4", "0.0.0.0"},
               {kBridgeNameOpt, n.bridge},
               {kMtuOpt, std::to_string(n.mtu ? n.mtu : 1500)}};
  return store_->insert(n);
}

Result<> NetworkService::ensure_bridge(const NetworkRecord& n) {
  auto nl = BERTH_TRY(Netlink::open(), "");
  auto subnet = BERTH_TRY(Ipv4Prefix::parse(n.subnet), "network " + n.name);
  auto gw = BERTH_TRY(Ipv4::parse(n.gateway), "network " + n.name);
  if (auto l = nl.link(n.bridge); !l) {
    BERTH_CHECK(nl.create_bridge(n.bridge, n.mtu), "network " + n.name);
  } else if (l->kind != "bridge") {
    return fail(ErrorKind::Conflict, "network " + n.name + ": link " + n.bridge + " exists and is not a bridge");
  }
  if (auto r = nl.add_address(n.bridge, gw, subnet.length); !r && r.error().kind != ErrorKind::Exists)
    return fail(r.error().wrap("network " + n.name));
  // Published ports answer on 127.0.0.1: loopback-sourced packets may then leave through this
  // bridge (masqueraded by the table), and through no other interface.
  BERTH_CHECK(sysctl_on("/proc/sys/net/ipv4/conf/" + n.bridge + "/route_localnet", "network " + n.name + ": route_localnet"), "");
  return nl.set_up(n.bridge);
}

Result<> NetworkService::apply_nat() {
  auto nets = BERTH_TRY(store_->list(), "");
  std::vector<BridgeNat> rules;
  bool masquerade = false;
  for (auto& n : nets)
    if (is_bridge(n)) {
      rules.push_back({n.bridge, n.subnet, n.internal});
      masquerade |= !n.internal;
    }
  std::vector<PortNat> ports;
  for (auto& p : BERTH_TRY(store_->ports(), ""))
    ports.push_back({p.proto, p.host_ip, p.host_port, p.container_ip, p.container_port});
  auto nft = BERTH_TRY(network::Nftables::open(), "");
  BERTH_CHECK(nft.run(nat_ruleset(rules, ports)), "apply berth's nftables table");
  std::vector<std::string> bridges;
  for (auto& r : rules) bridges.push_back(r.bridge);
  BERTH_CHECK(sync_forward_policy(nft, bridges), "");
  if (masquerade) BERTH_CHECK(enable_ip_forward(), "");
  return {};
}

Result<network::SubnetAllocator*> NetworkService::allocator(const NetworkRecord& n) {
  if (auto it = allocators_.find(n.id); it != allocators_.end()) return &it->second;
  auto subnet = BERTH_TRY(Ipv4Prefix::parse(n.subnet), "network " + n.name);
  std::optional<Ipv4Prefix> range;
  if (!n.ip_range.empty()) range = BERTH_TRY(Ipv4Prefix::parse(n.ip_range), "network " + n.name);
  auto gw = BERTH_TRY(Ipv4::parse(n.gateway), "network " + n.name);
  auto a = BERTH_TRY(network::SubnetAllocator::make(subnet, range, gw), "network " + n.name);
  for (auto& e : BERTH_TRY(store_->endpoints(n.id), ""))
    if (auto ip = Ipv4::parse(e.ip)) (void)a.reserve(*ip);
  return &allocators_.emplace(n.id, std::move(a)).first->second;
}

Result<> NetworkService::restore(const std::set<std::string>& running) {
  std::lock_guard lk(mu_);
  BERTH_CHECK(ensure_predefined(), "predefined networks");
  auto nets = BERTH_TRY(store_->list(), "");
  for (auto& n : nets)
    if (is_bridge(n)) BERTH_CHECK(ensure_bridge(n), "");
  // Endpoints whose container is gone or stopped: their links, ports and namespace go too.
  std::set<std::string> stale;
  for (auto& n : nets)
    for (auto& e : BERTH_TRY(store_->endpoints(n.id), ""))
      if (!running.contains(e.container_id)) stale.insert(e.container_id);
  for (auto& p : BERTH_TRY(store_->ports(), ""))
    if (!running.contains(p.container_id)) stale.insert(p.container_id);
  for (auto& id : stale)
    if (auto r = detach_locked(id); !r) log::warn("release network of container " + id + ": " + r.error().what());
  // The running containers' ports are held again (a restarted berthd had let them go).
  for (auto& p : BERTH_TRY(store_->ports(), "")) {
    auto port = static_cast<uint16_t>(p.host_port);
    auto ip = Ipv4::parse(p.host_ip);
    auto held = network::reserve_host_port(p.proto, ip ? *ip : Ipv4{}, port, port);
    if (held) held_ports_[p.container_id].push_back(std::move(held->socket));
    else log::warn("hold published port of container " + p.container_id + ": " + held.error().what());
  }
  return apply_nat();
}

void NetworkService::shutdown(const std::set<std::string>& running) {
  std::unique_lock lk(mu_);
  released_cv_.wait(lk, [&] { return releasing_.empty(); });
  auto nets = store_->list();
  if (!nets) return;
  auto nl = Netlink::open();
  if (!nl) return;
  // The table stays while any bridge does; with none left it goes too.
  bool any_used = false;
  for (auto& n : *nets) {
    if (!is_bridge(n)) continue;
    auto eps = store_->endpoints(n.id);
    bool used = eps && std::ranges::any_of(*eps, [&](auto& e) { return running.contains(e.container_id); });
    if (!used) (void)nl->delete_link(n.bridge);
    any_used |= used;
  }
  if (!any_used)
    if (auto nft = network::Nftables::open()) {
      (void)nft->run(nat_teardown());
      (void)sync_forward_policy(*nft, {});
    }
}

Result<NetworkRecord> NetworkService::find_locked(std::string_view ref) const {
  std::string r(ref);
  auto nets = BERTH_TRY(store_->list(), "");
  for (auto& n : nets)
    if (n.id == r || n.name == r) return n;
  std::vector<NetworkRecord> matches;
  for (auto& n : nets)
    if (!r.empty() && n.id.starts_with(r)) matches.push_back(n);
  if (matches.size() == 1) return matches[0];
  if (matches.size() > 1) return fail(ErrorKind::Invalid, "network " + r + " is ambiguous (" + std::to_string(matches.size()) + " matches found based on ID prefix)");
  return fail(ErrorKind::NotFound, "network " + r + " not found");
}

Result<NetworkRecord> NetworkService::find(std::string_view ref) const {
  std::lock_guard lk(mu_);
  return find_locked(ref);
}

Result<std::vector<NetworkRecord>> NetworkService::list() const {
  std::lock_guard lk(mu_);
  return store_->list();
}

Result<std::vector<EndpointRecord>> NetworkService::endpoints(const std::string& network_id) const {
  std::lock_guard lk(mu_);
  auto eps = BERTH_TRY(store_->endpoints(network_id), "");
  std::erase_if(eps, [&](auto& e) { return releasing_.contains(e.container_id); });  // gone for the user
  return eps;
}

Result<std::vector<std::pair<NetworkRecord, EndpointRecord>>> NetworkService::container_endpoints(
    const std::string& container_id) const {
  std::lock_guard lk(mu_);
  std::vector<std::pair<NetworkRecord, EndpointRecord>> out;
  if (releasing_.contains(container_id)) return out;
  auto nets = BERTH_TRY(store_->list(), "");
  for (auto& e : BERTH_TRY(store_->endpoints_of(container_id), ""))
    for (auto& n : nets)
      if (n.id == e.network_id) out.emplace_back(n, e);
  return out;
}

Result<NetworkRecord> NetworkService::create(const NetworkCreate& req) {
  if (req.name.empty()) return fail(ErrorKind::Invalid, "network name cannot be empty");
  if (req.driver != "bridge") return fail(ErrorKind::NotFound, "plugin \"" + req.driver + "\" not found");
  if (predefined(req.name))
    return fail(ErrorKind::Permission, "operation is not permitted on predefined " + req.name + " network ");
  std::lock_guard lk(mu_);
  auto nets = BERTH_TRY(store_->list(), "");
  if (std::ranges::any_of(nets, [&](auto& n) { return n.name == req.name; }))
    return fail(ErrorKind::Conflict, "network with name " + req.name + " already exists");
  NetworkRecord n;
  n.id = generate_id();
  n.name = req.name;
  n.internal = req.internal;
  n.attachable = req.attachable;
  n.labels = req.labels;
  n.options = req.options;
  n.created = rfc3339_now();
  n.bridge = req.options.contains(kBridgeNameOpt) ? req.options.at(kBridgeNameOpt) : "br-" + n.id.substr(0, 12);
  if (n.bridge.empty() || n.bridge.size() > 15)
    return fail(ErrorKind::Invalid, "invalid bridge name \"" + n.bridge + "\": 1 to 15 characters");
  if (std::ranges::any_of(nets, [&](auto& o) { return o.bridge == n.bridge; }))
    return fail(ErrorKind::Conflict, "bridge " + n.bridge + " is already used by another network");
  if (auto it = req.options.find(kMtuOpt); it != req.options.end()) {
    try {
      n.mtu = static_cast<unsigned>(std::stoul(it->second));
    } catch (...) {
      return fail(ErrorKind::Invalid, "invalid MTU value \"" + it->second + "\"");
    }
    if (n.mtu < 68 || n.mtu > 65535) return fail(ErrorKind::Invalid, "invalid MTU value \"" + it->second + "\"");
  }
  std::vector<Ipv4Prefix> taken;
  for (auto& o : nets)
    if (auto p = Ipv4Prefix::parse(o.subnet)) taken.push_back(*p);
  Ipv4Prefix subnet;
  if (!req.subnet.empty()) {
    subnet = BERTH_TRY(Ipv4Prefix::parse(req.subnet), "");
    if (std::ranges::any_of(taken, [&](auto& p) { return p.overlaps(subnet); }))
      return fail(ErrorKind::Permission, "Pool overlaps with other one on this address space");
  } else {
    if (!req.ip_range.empty() || !req.gateway.empty())
      return fail(ErrorKind::Invalid, "ip-range and gateway need a subnet (--subnet)");
    auto nl = BERTH_TRY(Netlink::open(), "");
    auto in_use = BERTH_TRY(network::prefixes_in_use(nl), "");
    in_use.insert(in_use.end(), taken.begin(), taken.end());
    subnet = BERTH_TRY(network::choose_subnet(opts_.pools, in_use), "");
  }
  std::optional<Ipv4Prefix> range;
  std::optional<Ipv4> gw;
  if (!req.ip_range.empty()) range = BERTH_TRY(Ipv4Prefix::parse(req.ip_range), "");
  if (!req.gateway.empty()) gw = BERTH_TRY(Ipv4::parse(req.gateway), "");
  auto alloc = BERTH_TRY(network::SubnetAllocator::make(subnet, range, gw), "");
  n.subnet = subnet.str();
  n.gateway = alloc.gateway().str();
  n.ip_range = req.ip_range;
  BERTH_CHECK(store_->insert(n), "");
  auto undo = [&](Error e) -> Result<NetworkRecord> {
    if (auto nl = Netlink::open()) (void)nl->delete_link(n.bridge);
    (void)store_->remove(n.id);
    (void)apply_nat();
    return fail(std::move(e));
  };
  if (auto r = ensure_bridge(n); !r) return undo(r.error());
  if (auto r = apply_nat(); !r) return undo(r.error());
  allocators_.emplace(n.id, std::move(alloc));
  return n;
}

Result<> NetworkService::remove(std::string_view ref) {
  std::unique_lock lk(mu_);
  auto n = BERTH_TRY(find_locked(ref), "");
  // A container just removed may still have its veth on the bridge: wait for it.
  released_cv_.wait(lk, [&] {
    return std::ranges::none_of(releasing_, [&](auto& r) {
      return std::ranges::any_of(r.second, [&](auto& e) { return e.network_id == n.id; });
    });
  });
  if (predefined(n.name))
    return fail(ErrorKind::Permission, n.name + " is a pre-defined network and cannot be removed");
  auto eps = BERTH_TRY(store_->endpoints(n.id), "");
  if (!eps.empty())
    return fail(ErrorKind::Permission,
                "error while removing network: network " + n.name + " id " + n.id + " has active endpoints");
  BERTH_CHECK(store_->remove(n.id), "");
  allocators_.erase(n.id);
  auto nl = BERTH_TRY(Netlink::open(), "");
  if (auto r = nl.delete_link(n.bridge); !r && r.error().kind != ErrorKind::NotFound) return fail(r.error());
  return apply_nat();
}

Result<> NetworkService::make_isolated_netns(const std::string& container_id) {
  auto path = netns_path(container_id);
  (void)network::remove_netns(path);  // a stale one from a crash
  return network::create_netns(path);
}

Result<std::vector<PortRecord>> NetworkService::published_ports(const std::string& container_id) const {
  std::lock_guard lk(mu_);
  return store_->ports_of(container_id);
}

Result<> NetworkService::publish_locked(const std::string& container_id, const std::string& endpoint_name,
                                        const Attachment& a, const std::vector<PortRequest>& ports) {
  auto where = "driver failed programming external connectivity on endpoint " + endpoint_name + " (" + a.endpoint_id + ")";
  for (auto& req : ports) {
    auto ip = req.host_ip.empty() ? Ipv4{} : BERTH_TRY(Ipv4::parse(req.host_ip), where);
    auto held = BERTH_TRY(network::reserve_host_port(req.proto, ip, req.host_lo, req.host_hi), where);
    PortRecord p{container_id, a.network.id, req.proto, ip.str(), held.port, req.container_port, a.ip};
    BERTH_CHECK(store_->add_port(p), where);
    held_ports_[container_id].push_back(std::move(held.socket));
  }
  return apply_nat();
}

Result<std::vector<Attachment>> NetworkService::attach(const std::string& container_id,
                                                       const std::vector<EndpointRequest>& reqs,
                                                       const std::vector<PortRequest>& ports,
                                                       const std::string& endpoint_name) {
  std::unique_lock lk(mu_);
  // The container's previous endpoints (a restart) must be gone, and a fixed address may be
  // held by a container still being released.
  bool fixed = std::ranges::any_of(reqs, [](auto& r) { return !r.ip.empty(); });
  released_cv_.wait(lk, [&] { return fixed ? releasing_.empty() : !releasing_.contains(container_id); });
  auto path = netns_path(container_id);
  (void)network::remove_netns(path);
  BERTH_CHECK(network::create_netns(path), "");
  std::vector<Attachment> out;
  auto body = [&]() -> Result<> {
    auto nsfd = BERTH_TRY(network::open_netns(path), "");
    auto host = BERTH_TRY(Netlink::open(), "");
    auto ctr = BERTH_TRY(Netlink::open_in(nsfd.get()), "");
    bool routed = false;
    for (size_t i = 0; i < reqs.size(); ++i) {
      auto a = BERTH_TRY(attach_one_locked(container_id, nsfd.get(), host, ctr, reqs[i], "eth" + std::to_string(i), !routed), "");
      routed |= !a.network.internal;
      out.push_back(std::move(a));
    }
    if (!ports.empty() && !out.empty()) BERTH_CHECK(publish_locked(container_id, endpoint_name, out[0], ports), "");
    return {};
  };
  if (auto r = body(); !r) {
    (void)detach_locked(container_id);
    return fail(r.error().wrap("connect container to its networks"));
  }
  return out;
}

Result<Attachment> NetworkService::attach_one_locked(const std::string& container_id, int nsfd, Netlink& host,
                                                     Netlink& ctr, const EndpointRequest& req,
                                                     const std::string& ifname, bool route) {
  auto n = BERTH_TRY(find_locked(req.network), "");
  if (!is_bridge(n))
    return fail(ErrorKind::Invalid, "container cannot be connected to network " + n.name + " alongside others");
  auto* alloc = BERTH_TRY(allocator(n), "");
  Ipv4 ip;
  if (!req.ip.empty()) {
    ip = BERTH_TRY(Ipv4::parse(req.ip), "");
    BERTH_CHECK(alloc->reserve(ip), "");
  } else {
    ip = BERTH_TRY(alloc->allocate(), "");
  }
  auto mac = req.mac.empty() ? Result<network::Mac>(mac_for(ip)) : network::parse_mac(req.mac);
  if (!mac) {
    alloc->release(ip);
    return fail(ErrorKind::Invalid, "invalid MAC address: " + req.mac);
  }
  Attachment a;
  a.network = n;
  a.ifname = ifname;
  a.ip = ip.str();
  a.mac = network::mac_str(*mac);
  a.gateway = n.gateway;
  a.prefix_length = BERTH_TRY(Ipv4Prefix::parse(n.subnet), "").length;
  a.endpoint_id = generate_id();
  a.host_link = "veth" + random_hex(7);
  EndpointRecord e{n.id, container_id, a.endpoint_id, a.ip, a.mac, a.host_link, !req.ip.empty()};
  if (auto r = store_->add_endpoint(e); !r) {
    alloc->release(ip);
    return fail(r.error());
  }
  // From here the endpoint row exists: the caller's cleanup (detach) removes what follows.
  BERTH_CHECK(host.create_veth({a.host_link, a.ifname, nsfd, n.mtu, *mac}), "");
  auto br = BERTH_TRY(host.link(n.bridge), "network " + n.name);
  BERTH_CHECK(host.set_master(a.host_link, br.index), "");
  BERTH_CHECK(host.set_up(a.host_link), "");
  BERTH_CHECK(ctr.add_address(a.ifname, ip, a.prefix_length), "");
  BERTH_CHECK(ctr.set_up(a.ifname), "");
  if (route && !n.internal) BERTH_CHECK(ctr.add_default_route(*Ipv4::parse(n.gateway), a.ifname), "");
  return a;
}

Result<Attachment> NetworkService::connect(const std::string& container_id, const EndpointRequest& req) {
  std::unique_lock lk(mu_);
  released_cv_.wait(lk, [&] { return req.ip.empty() || releasing_.empty(); });
  auto n = BERTH_TRY(find_locked(req.network), "");
  auto eps = BERTH_TRY(store_->endpoints_of(container_id), "");
  if (std::ranges::any_of(eps, [&](auto& e) { return e.network_id == n.id; }))
    return fail(ErrorKind::Permission, "container " + container_id + " is already connected to network " + n.name);
  auto nsfd = BERTH_TRY(network::open_netns(netns_path(container_id)), "");
  auto host = BERTH_TRY(Netlink::open(), "");
  auto ctr = BERTH_TRY(Netlink::open_in(nsfd.get()), "");
  // The first free ethN; a container without a routed network gets its default route here.
  auto links = BERTH_TRY(ctr.links(), "");
  std::string ifname;
  for (int i = 0; ifname.empty(); ++i)
    if (std::ranges::none_of(links, [&](auto& l) { return l.name == "eth" + std::to_string(i); })) ifname = "eth" + std::to_string(i);
  bool routed = false;
  for (auto& e : eps)
    for (auto& o : BERTH_TRY(store_->list(), ""))
      if (o.id == e.network_id && !o.internal) routed = true;
  auto a = attach_one_locked(container_id, nsfd.get(), host, ctr, req, ifname, !routed);
  if (!a) {
    (void)detach_endpoint_locked(container_id, n.id);
    return fail(a.error().wrap("connect container to network " + n.name));
  }
  return a;
}

Result<> NetworkService::disconnect(const std::string& container_id, const std::string& network_id) {
  std::lock_guard lk(mu_);
  return detach_endpoint_locked(container_id, network_id);
}

Result<> NetworkService::detach_endpoint_locked(const std::string& container_id, const std::string& network_id) {
  Result<> result;
  auto ports = BERTH_TRY(store_->ports_of(container_id), "");
  if (std::ranges::any_of(ports, [&](auto& p) { return p.network_id == network_id; })) {
    // Ports are published on one network's address: they go with it (the socket holders too).
    if (auto r = store_->remove_ports(container_id); !r) result = fail(r.error());
    if (auto r = apply_nat(); !r) result = fail(r.error());
    held_ports_.erase(container_id);
  }
  auto host = Netlink::open();
  for (auto& e : BERTH_TRY(store_->endpoints_of(container_id), "")) {
    if (e.network_id != network_id) continue;
    if (host && !e.host_link.empty())
      if (auto r = host->delete_link(e.host_link); !r && r.error().kind != ErrorKind::NotFound) result = fail(r.error());
    if (auto it = allocators_.find(e.network_id); it != allocators_.end())
      if (auto ip = Ipv4::parse(e.ip)) it->second.release(*ip);
    if (auto r = store_->remove_endpoint(e.network_id, container_id); !r) result = fail(r.error());
  }
  return result;
}

Result<> NetworkService::detach(const std::string& container_id) {
  std::lock_guard lk(mu_);
  return detach_locked(container_id);
}

Result<> NetworkService::detach_locked(const std::string& container_id) {
  Result<> result;
  auto published = BERTH_TRY(store_->ports_of(container_id), "");
  if (!published.empty()) {
    if (auto r = store_->remove_ports(container_id); !r) result = fail(r.error());
    if (auto r = apply_nat(); !r) result = fail(r.error());
  }
  held_ports_.erase(container_id);  // after the DNAT rules are gone: the port is free again
  auto eps = BERTH_TRY(store_->endpoints_of(container_id), "");
  dns_->remove(container_id);
  dns_records_.remove_container(container_id);
  if (auto r = network::remove_netns(netns_path(container_id)); !r) result = fail(r.error());
  // The veths go in the background (see background_worker.hpp); their addresses stay taken
  // until they are gone, and whoever needs them waits (released_cv_).
  if (!eps.empty() && !releasing_.contains(container_id)) {
    releasing_[container_id] = eps;
    reaper_->post([this, container_id, eps] { finish_release(container_id, eps); });
  }
  return result;
}

void NetworkService::finish_release(const std::string& container_id, const std::vector<EndpointRecord>& eps) {
  // Deleting the host end takes the container end with it; the namespace may be gone already.
  if (auto host = Netlink::open())
    for (auto& e : eps)
      if (!e.host_link.empty())
        if (auto r = host->delete_link(e.host_link); !r && r.error().kind != ErrorKind::NotFound)
          log::warn("remove " + e.host_link + " of container " + container_id + ": " + r.error().what());
  std::lock_guard lk(mu_);
  for (auto& e : eps) {
    if (auto it = allocators_.find(e.network_id); it != allocators_.end())
      if (auto ip = Ipv4::parse(e.ip)) it->second.release(*ip);
    if (auto r = store_->remove_endpoint(e.network_id, container_id); !r)
      log::warn("release the address of container " + container_id + ": " + r.error().what());
  }
  releasing_.erase(container_id);
  released_cv_.notify_all();
}

void NetworkService::settle() {
  std::unique_lock lk(mu_);
  released_cv_.wait(lk, [&] { return releasing_.empty(); });
}

std::vector<std::string> dns_names(const std::string& container_id, const DnsIdentity& who,
                                   const std::vector<std::string>& aliases) {
  std::vector<std::string> out;
  auto add = [&](const std::string& n) {
    if (!n.empty() && std::ranges::find(out, n) == out.end()) out.push_back(n);
  };
  add(who.name);
  for (auto& a : aliases) add(a);
  add(container_id.substr(0, 12));
  add(who.hostname);
  return out;
}

Result<bool> NetworkService::update_dns_names(const std::string& container_id, const DnsIdentity& who,
                                              const std::vector<EndpointRequest>& reqs) {
  auto eps = BERTH_TRY(container_endpoints(container_id), "");
  dns_records_.remove_container(container_id);
  bool served = false;
  for (auto& [n, e] : eps) {
    if (!is_bridge(n) || n.name == "bridge") continue;  // the default bridge has no embedded DNS
    auto ip = BERTH_TRY(Ipv4::parse(e.ip), "endpoint of " + container_id);
    std::vector<std::string> aliases;
    for (auto& r : reqs)
      if (r.network == n.name || r.network == n.id) aliases.insert(aliases.end(), r.aliases.begin(), r.aliases.end());
    dns_records_.add(n.id, n.name, container_id, ip, dns_names(container_id, who, aliases));
    served = true;
  }
  return served;
}

Result<> NetworkService::serve_dns(const std::string& container_id, const DnsIdentity& who,
                                   const std::vector<EndpointRequest>& reqs) {
  if (!BERTH_TRY(update_dns_names(container_id, who, reqs), "")) return {};
  // As dockerd: a container only on internal networks gets no forwarding.
  bool forwards = false;
  for (auto& [n, e] : BERTH_TRY(container_endpoints(container_id), ""))
    forwards |= is_bridge(n) && n.name != "bridge" && !n.internal;
  std::vector<network::DnsUpstream> upstreams;
  if (forwards) {
    std::string text;
    for (auto& s : who.servers) text += "nameserver " + s + "\n";
    if (who.servers.empty()) text = read_file(opts_.resolv_conf).value_or("");
    upstreams = network::resolv_conf_upstreams(text);
  }
  if (auto r = dns_->add(container_id, netns_path(container_id), std::move(upstreams)); !r) {
    dns_records_.remove_container(container_id);
    return fail(r.error());
  }
  return {};
}

size_t NetworkService::dns_clients() const { return dns_->client_count(); }

}  // namespace berth::engine
