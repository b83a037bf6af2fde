#include "engine/container_top.hpp"

#include <gtest/gtest.h>

using namespace berth::engine;
using nlohmann::json;

namespace {

const char* kPsEf =
    "UID          PID    PPID  C STIME TTY          TIME CMD\n"
    "root           1       0  0 03:00 ?        00:00:01 /sbin/init\n"
    "root        4242    4200  0 03:10 ?        00:00:00 sleep 100\n"
    "root        4243    4242  0 03:10 pts/0    00:00:00 sh -c echo a  b\n"
    "root        5000       1  0 03:11 ?        00:00:00 other\n";

}  // namespace

TEST(ContainerTop, KeepsTheContainersRowsAndTheCommandWhole) {
  auto r = filter_ps_output(kPsEf, {4242, 4243});
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ((*r)["Titles"], (json{"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"}));
  ASSERT_EQ((*r)["Processes"].size(), 2u);
  EXPECT_EQ((*r)["Processes"][0], (json{"root", "4242", "4200", "0", "03:10", "?", "00:00:00", "sleep 100"}));
  EXPECT_EQ((*r)["Processes"][1][7], "sh -c echo a b");  // fields re-joined with one space, as dockerd
}

TEST(ContainerTop, ThreadRowsFollowTheirProcess) {
  std::string out =
      "  PID TTY      STAT   TIME COMMAND\n"
      "   10 ?        -      0:00 app\n"
      "    - -        Sl     0:00 -\n"
      "   11 ?        -      0:00 notours\n"
      "    - -        Sl     0:00 -\n";
  auto r = filter_ps_output(out, {10});
  ASSERT_TRUE(r);
  ASSERT_EQ((*r)["Processes"].size(), 2u);
  EXPECT_EQ((*r)["Processes"][1][0], "-");
}

TEST(ContainerTop, Errors) {
  EXPECT_FALSE(filter_ps_output("USER COMMAND\nroot x\n", {1}));  // no PID column
  EXPECT_FALSE(filter_ps_output("PID CMD\nabc x\n", {1}));
  EXPECT_TRUE(validate_ps_args("-ef"));
  EXPECT_TRUE(validate_ps_args("-o pid=PID,comm"));
  auto bad = validate_ps_args("-o user,  x=PID");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "specifying \"x=PID\" is not allowed");
}
