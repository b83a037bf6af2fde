#include <gtest/gtest.h>

#include "network/netlink.hpp"

using namespace berth::network;

TEST(Mac, ParsesAndFormats) {
  auto m = parse_mac("02:42:AC:11:00:02");
  ASSERT_TRUE(m);
  EXPECT_EQ(mac_str(*m), "02:42:ac:11:00:02");
  for (const char* bad : {"", "02:42:ac:11:00", "02:42:ac:11:00:02:03", "zz:42:ac:11:00:02", "02-42-ac-11-00-02"})
    EXPECT_FALSE(parse_mac(bad)) << bad;
}
