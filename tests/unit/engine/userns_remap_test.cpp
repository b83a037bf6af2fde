// userns-remap values against subid files of the test's own (the host's /etc is not touched):
// names and ids, several ranges, dockerd's next free range, and the errors that name the file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "engine/userns_remap.hpp"

using namespace berth::engine;

namespace {
struct Files {
  std::string dir;
  SubidFiles f;
  Files(const std::string& subuid, const std::string& subgid) {
    char t[] = "/tmp/berth-subid-XXXXXX";
    dir = mkdtemp(t);
    f.subuid = dir + "/subuid";
    f.subgid = dir + "/subgid";
    std::ofstream(f.subuid) << subuid;
    std::ofstream(f.subgid) << subgid;
  }
  ~Files() { std::filesystem::remove_all(dir); }
};
}  // namespace

TEST(UsernsRemap, EmptyIsOff) {
  auto r = resolve_userns_remap("");
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_FALSE(r->has_value());
}

TEST(UsernsRemap, NamesAndIdsFindTheirRanges) {
  // root by name in subuid; its group by id in subgid; two uid ranges map one after the other.
  Files files("other:100000:65536\nroot:200000:1000\nroot:300000:5000\n", "0:400000:65536\n");
  for (std::string value : {"root", "root:root", "0:0"}) {
    auto r = resolve_userns_remap(value, files.f);
    ASSERT_TRUE(r) << value << ": " << r.error().what();
    ASSERT_TRUE(r->has_value());
    const UsernsRemap& m = **r;
    EXPECT_EQ(m.user, "root");
    EXPECT_EQ(m.group, "root");
    ASSERT_EQ(m.uids.size(), 2u);
    EXPECT_EQ(m.uids[0].container, 0u);
    EXPECT_EQ(m.uids[0].host, 200000u);
    EXPECT_EQ(m.uids[0].size, 1000u);
    EXPECT_EQ(m.uids[1].container, 1000u);
    EXPECT_EQ(m.uids[1].host, 300000u);
    EXPECT_EQ(m.root_uid(), 200000u);
    EXPECT_EQ(m.root_gid(), 400000u);
  }
}

TEST(UsernsRemap, MissingRangesAndNamesAreErrorsNamingThem) {
  Files files("other:100000:65536\n", "root:100000:65536\n");
  auto r = resolve_userns_remap("root", files.f);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(),
            "userns-remap \"root\": no subuid ranges found for user \"root\" in " + files.f.subuid);
  auto g = resolve_userns_remap("other-no-such-user", files.f);
  ASSERT_FALSE(g);
  EXPECT_NE(g.error().what().find("no such user \"other-no-such-user\""), std::string::npos) << g.error().what();
  auto bad = resolve_userns_remap("root:", files.f);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().what().find("expected user, user:group or uid:gid"), std::string::npos);
  Files no_gid("root:100000:65536\n", "");
  auto ng = resolve_userns_remap("root", no_gid.f);
  ASSERT_FALSE(ng);
  EXPECT_NE(ng.error().what().find("no subgid ranges found for group \"root\" in " + no_gid.f.subgid), std::string::npos);
}

TEST(UsernsRemap, NextFreeRangeStartsAfterTheRangesInUse) {
  EXPECT_EQ(next_free_subid_start("", 65536), 100000u);
  EXPECT_EQ(next_free_subid_start("a:100000:65536\n", 65536), 165536u);
  // Out of order, with a gap too small and one after the last.
  EXPECT_EQ(next_free_subid_start("b:200000:65536\na:100000:65536\n", 65536), 265536u);
  EXPECT_EQ(next_free_subid_start("a:100000:1000\nb:300000:10\n", 65536), 101000u);
  EXPECT_EQ(next_free_subid_start("junk\na:50000:10\n", 65536), 100000u) << "below 100000, and junk, do not count";
}
