#include "network/ipam.hpp"

#include <gtest/gtest.h>

#include "network/address_pool.hpp"

using namespace berth::network;

namespace {
Ipv4Prefix P(const char* s) { return *Ipv4Prefix::parse(s); }
Ipv4 addr(const char* s) { return *Ipv4::parse(s); }
}  // namespace

TEST(AddressPool, DefaultsAreDockers) {
  auto pools = default_address_pools();
  ASSERT_EQ(pools.size(), 16u);
  EXPECT_EQ(pools.front().base.str(), "172.17.0.0/16");
  EXPECT_EQ(pools[14].base.str(), "172.31.0.0/16");
  EXPECT_EQ(pools.back().base.str(), "192.168.0.0/16");
  EXPECT_EQ(pools.back().size, 20);
}

TEST(AddressPool, SkipsEveryPrefixInUse) {
  auto pools = default_address_pools();
  auto first = choose_subnet(pools, {});
  ASSERT_TRUE(first);
  EXPECT_EQ(first->str(), "172.17.0.0/16");
  // addr host route inside 172.17/16 and a network on 172.18/16: the next free one is 172.19/16.
  auto next = choose_subnet(pools, {P("172.17.5.0/24"), P("172.18.0.0/16")});
  ASSERT_TRUE(next);
  EXPECT_EQ(next->str(), "172.19.0.0/16");
  // addr route covering all of 172.16/12 sends it to 192.168's /20s, past a taken one.
  auto later = choose_subnet(pools, {P("172.16.0.0/12"), P("192.168.1.0/24")});
  ASSERT_TRUE(later);
  EXPECT_EQ(later->str(), "192.168.16.0/20");
}

TEST(AddressPool, ExhaustionIsDockersError) {
  auto r = choose_subnet(default_address_pools(), {P("0.0.0.0/1"), P("128.0.0.0/1")});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("non-overlapping IPv4 address pool"), std::string::npos);
}

TEST(AddressPool, ConfiguredPoolsAreCutInTheirSize) {
  auto pool = make_address_pool(P("10.10.0.0/16"), 24);
  ASSERT_TRUE(pool);
  auto r = choose_subnet({*pool}, {P("10.10.0.0/24")});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->str(), "10.10.1.0/24");
  EXPECT_FALSE(make_address_pool(P("10.10.0.0/16"), 8));
  EXPECT_FALSE(make_address_pool(P("10.10.0.0/16"), 33));
}

TEST(SubnetAllocator, GatewayIsTheFirstHostAndNeverHandedOut) {
  auto a = SubnetAllocator::make(P("10.0.0.0/29"));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->gateway().str(), "10.0.0.1");
  std::vector<std::string> got;
  while (auto ip = a->allocate()) got.push_back(ip->str());
  // .0 is the network, .7 the broadcast, .1 the gateway.
  EXPECT_EQ(got, (std::vector<std::string>{"10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"}));
  auto full = a->allocate();
  ASSERT_FALSE(full);
  EXPECT_NE(full.error().message.find("no available IPv4 addresses"), std::string::npos);
  a->release(addr("10.0.0.4"));
  EXPECT_EQ(a->allocate()->str(), "10.0.0.4");
}

TEST(SubnetAllocator, RangeAndFixedAddresses) {
  auto a = SubnetAllocator::make(P("10.1.0.0/16"), P("10.1.5.0/24"), addr("10.1.0.254"));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->allocate()->str(), "10.1.5.0");  // inside a larger subnet .0 is a host address
  ASSERT_TRUE(a->reserve(addr("10.1.9.9")));       // --ip may lie outside the range, not the subnet
  auto twice = a->reserve(addr("10.1.9.9"));
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().kind, berth::ErrorKind::Conflict);
  EXPECT_EQ(twice.error().message, "Address already in use");
  EXPECT_FALSE(a->reserve(addr("10.1.0.254")));  // the gateway
  auto outside = a->reserve(addr("10.2.0.1"));
  ASSERT_FALSE(outside);
  EXPECT_EQ(outside.error().kind, berth::ErrorKind::Invalid);
}

TEST(SubnetAllocator, RefusesInconsistentSettings) {
  EXPECT_FALSE(SubnetAllocator::make(P("10.1.0.0/16"), P("10.2.0.0/24")));         // range outside
  EXPECT_FALSE(SubnetAllocator::make(P("10.1.0.0/16"), {}, addr("10.2.0.1")));        // gateway outside
  EXPECT_FALSE(SubnetAllocator::make(P("10.1.0.0/16"), {}, addr("10.1.255.255")));    // broadcast
  EXPECT_FALSE(SubnetAllocator::make(P("10.1.0.0/31")));                            // too small
}
