#include "network/ipv4.hpp"

#include <gtest/gtest.h>

using namespace berth::network;

TEST(Ipv4, ParsesAndFormatsDottedQuads) {
  auto a = Ipv4::parse("172.17.0.2");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->value, (172u << 24) | (17u << 16) | 2u);
  EXPECT_EQ(a->str(), "172.17.0.2");
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "a.b.c.d", "1.2.3.4 ", "::1"})
    EXPECT_FALSE(Ipv4::parse(bad)) << bad;
}

TEST(Ipv4Prefix, ParsesSubnetsAndRefusesHostBits) {
  auto p = Ipv4Prefix::parse("10.1.0.0/16");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->str(), "10.1.0.0/16");
  EXPECT_EQ(p->size(), 65536u);
  EXPECT_EQ(p->last().str(), "10.1.255.255");
  auto host_bits = Ipv4Prefix::parse("10.1.0.1/16");
  ASSERT_FALSE(host_bits);
  EXPECT_NE(host_bits.error().message.find("10.1.0.0/16"), std::string::npos) << host_bits.error().message;
  for (const char* bad : {"10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/8x", "x/8"})
    EXPECT_FALSE(Ipv4Prefix::parse(bad)) << bad;
  EXPECT_TRUE(Ipv4Prefix::parse("0.0.0.0/0"));
  EXPECT_TRUE(Ipv4Prefix::parse("10.0.0.7/32"));
}

TEST(Ipv4Prefix, ContainsAndOverlaps) {
  auto big = *Ipv4Prefix::parse("172.16.0.0/12");
  auto small = *Ipv4Prefix::parse("172.17.0.0/16");
  auto other = *Ipv4Prefix::parse("192.168.0.0/20");
  EXPECT_TRUE(big.contains(small));
  EXPECT_FALSE(small.contains(big));
  EXPECT_TRUE(big.overlaps(small));
  EXPECT_TRUE(small.overlaps(big));
  EXPECT_FALSE(small.overlaps(other));
  EXPECT_TRUE(small.contains(*Ipv4::parse("172.17.255.255")));
  EXPECT_FALSE(small.contains(*Ipv4::parse("172.18.0.0")));
  EXPECT_EQ(Ipv4Prefix::of(*Ipv4::parse("10.9.8.7"), 8).str(), "10.0.0.0/8");
}
