// The embedded resolver's table: names per network, seen only from the same network, and the
// answers it gives itself (or leaves to the upstream servers).
#include "network/dns_records.hpp"
#include "network/dns_server.hpp"

#include <gtest/gtest.h>

using namespace berth::network;
using namespace berth::network::dns;

namespace {

Ipv4 A(const char* s) { return *Ipv4::parse(s); }

Query q(const std::string& name, uint16_t type) {
  Query out;
  out.id = 9;
  out.question = {name, type, kClassIn};
  return out;
}

class Records : public ::testing::Test {
 protected:
  void SetUp() override {
    r.add("n1id", "n1", "ctr-a", A("10.1.0.2"), {"web", "Frontend", "aaaaaaaaaaaa"});
    r.add("n1id", "n1", "ctr-b", A("10.1.0.3"), {"db", "bbbbbbbbbbbb"});
    r.add("n2id", "n2", "ctr-c", A("10.2.0.2"), {"other"});
    r.add("n2id", "n2", "ctr-b", A("10.2.0.3"), {"db", "bbbbbbbbbbbb"});
  }
  DnsRecords r;
};

}  // namespace

TEST_F(Records, NamesAliasesAndShortIdsResolveOnTheSameNetworkOnly) {
  EXPECT_EQ(r.lookup("ctr-b", "web"), std::vector{A("10.1.0.2")});
  EXPECT_EQ(r.lookup("ctr-b", "frontend"), std::vector{A("10.1.0.2")});
  EXPECT_EQ(r.lookup("ctr-b", "aaaaaaaaaaaa"), std::vector{A("10.1.0.2")});
  EXPECT_TRUE(r.lookup("ctr-c", "web").empty()) << "n2 sees n1's names";
  EXPECT_EQ(r.lookup("ctr-c", "db"), std::vector{A("10.2.0.3")});
  // On both networks, b sees both of its own addresses.
  EXPECT_EQ(r.lookup("ctr-b", "db"), (std::vector{A("10.1.0.3"), A("10.2.0.3")}));
  EXPECT_TRUE(r.lookup("stranger", "web").empty());
}

TEST_F(Records, RemovedContainersStopResolving) {
  r.remove_container("ctr-a");
  EXPECT_TRUE(r.lookup("ctr-b", "web").empty());
  EXPECT_TRUE(r.lookup("ctr-a", "db").empty()) << "a removed asker still sees its networks";
  r.remove_container("ctr-b");
  EXPECT_TRUE(r.lookup("ctr-c", "db").empty());
}

TEST_F(Records, AnswersAKnownNamesAndLeavesTheRestUpstream) {
  auto a = r.answer("ctr-b", q("WEB.", kTypeA));
  ASSERT_TRUE(a);
  EXPECT_EQ((*a)[3] & 0x0F, kNoError);
  EXPECT_EQ((*a)[7], 1);  // one answer
  auto aaaa = r.answer("ctr-b", q("web", kTypeAaaa));
  ASSERT_TRUE(aaaa) << "AAAA of a known name is answered (no records), not forwarded";
  EXPECT_EQ((*aaaa)[3] & 0x0F, kNoError);
  EXPECT_EQ((*aaaa)[7], 0);
  EXPECT_FALSE(r.answer("ctr-b", q("example.org", kTypeA)));
  EXPECT_FALSE(r.answer("ctr-c", q("web", kTypeA)));
  auto chaos = q("web", kTypeA);
  chaos.question.qclass = 3;
  EXPECT_FALSE(r.answer("ctr-b", chaos));
}

TEST_F(Records, PtrOfAnAddressOnTheAskersNetwork) {
  auto p = r.answer("ctr-b", q("2.0.1.10.in-addr.arpa", kTypePtr));
  ASSERT_TRUE(p);
  EXPECT_EQ(r.reverse("ctr-b", A("10.1.0.2")), "web.n1");
  EXPECT_FALSE(r.answer("ctr-c", q("2.0.1.10.in-addr.arpa", kTypePtr)));
  EXPECT_FALSE(r.answer("ctr-b", q("9.9.9.9.in-addr.arpa", kTypePtr)));
}

TEST_F(Records, AddingAgainReplacesTheContainersEntry) {
  r.add("n1id", "n1", "ctr-a", A("10.1.0.9"), {"web"});
  EXPECT_EQ(r.lookup("ctr-b", "web"), std::vector{A("10.1.0.9")});
  EXPECT_TRUE(r.lookup("ctr-b", "frontend").empty());
}

TEST(ResolvConfUpstreams, IPv4NameserversInOrderLoopbackIncluded) {
  auto ups = berth::network::resolv_conf_upstreams(
      "# comment\nnameserver 127.0.0.53\nsearch x\nnameserver ::1\nnameserver 10.0.0.2 \nnameserver bogus\nnameserver\n");
  ASSERT_EQ(ups.size(), 2u);
  EXPECT_EQ(ups[0].addr.str(), "127.0.0.53");
  EXPECT_EQ(ups[1].addr.str(), "10.0.0.2");
  EXPECT_EQ(ups[1].port, 53);
  EXPECT_TRUE(berth::network::resolv_conf_upstreams("").empty());
}
