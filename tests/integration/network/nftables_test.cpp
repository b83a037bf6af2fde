// libnftables in a namespace of the test's own: tables made and listed, transactions atomic,
// nft's own error text passed on.
#include <gtest/gtest.h>

#include "support/netns_thread.hpp"
#include "network/nftables.hpp"

using namespace berth::network;
using berth::network::test::in_fresh_netns;

TEST(Nftables, TablesAreMadeListedAndDeletedAtomically) {
  auto failure = in_fresh_netns([]() -> std::string {
    auto nft = Nftables::open();
    if (!nft) return nft.error().what();
    auto made = nft->run(
        "add table ip berth_test\n"
        "add chain ip berth_test post { type nat hook postrouting priority 100; }\n"
        "add rule ip berth_test post ip saddr 10.99.0.0/24 oifname != \"br-test0\" masquerade\n");
    if (!made) return "create: " + made.error().what();
    auto listed = nft->run("list table ip berth_test");
    if (!listed) return "list: " + listed.error().what();
    if (listed->find("masquerade") == std::string::npos) return "listing lacks the rule:\n" + *listed;
    auto json = nft->run_json("list tables");
    if (!json || json->find("\"berth_test\"") == std::string::npos) return "json listing lacks the table";

    // The second command fails, so the first must not have happened either.
    auto bad = nft->run("add table ip berth_half\nadd rule ip berth_half nochain counter\n");
    if (bad) return "a rule in a missing chain was accepted";
    if (bad.error().message.find("nochain") == std::string::npos &&
        bad.error().message.find("No such file") == std::string::npos)
      return "error does not say what failed: " + bad.error().message;
    auto half = nft->run("list tables");
    if (!half || half->find("berth_half") != std::string::npos) return "a failed transaction left a table";

    auto syntax = nft->run("add tabel ip x");
    if (syntax || syntax.error().message.find("syntax error") == std::string::npos) return "syntax error not reported";
    auto del = nft->run("delete table ip berth_test");
    if (!del) return "delete: " + del.error().what();
    return "";
  });
  EXPECT_EQ(failure, "");
}
