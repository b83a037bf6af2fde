#include "stats_format.hpp"

#include <gtest/gtest.h>

using namespace berth::cli;
using nlohmann::json;

TEST(StatsFormat, RowAsDockerComputesIt) {
  json s = {{"id", "0123456789abcdef"},
            {"name", "/web"},
            {"cpu_stats", {{"cpu_usage", {{"total_usage", 300000000}}}, {"system_cpu_usage", 4000000000ull}, {"online_cpus", 2}}},
            {"precpu_stats", {{"cpu_usage", {{"total_usage", 100000000}}}, {"system_cpu_usage", 2000000000ull}}},
            {"memory_stats", {{"usage", 3 << 20}, {"limit", 100 << 20}, {"stats", {{"total_inactive_file", 1 << 20}}}}},
            {"networks", {{"eth0", {{"rx_bytes", 1500}, {"tx_bytes", 648}}}}},
            {"blkio_stats", {{"io_service_bytes_recursive",
                              {{{"op", "Read"}, {"value", 4096}}, {{"op", "write"}, {"value", 2000000}}, {{"op", "Total"}, {"value", 1}}}}}},
            {"pids_stats", {{"current", 4}}}};
  auto r = stats_row(s, "web", true);
  EXPECT_EQ(r["CPUPerc"], "20.00%");  // 0.2 s of 2 s host time on 2 CPUs
  EXPECT_EQ(r["MemUsage"], "2MiB / 100MiB");
  EXPECT_EQ(r["MemPerc"], "2.00%");
  EXPECT_EQ(r["NetIO"], "1.5kB / 648B");
  EXPECT_EQ(r["BlockIO"], "4.1kB / 2MB");
  EXPECT_EQ(r["PIDs"], "4");
  EXPECT_EQ(r["ID"], "0123456789ab");
  EXPECT_EQ(r["Name"], "web");
  EXPECT_EQ(r["Container"], "web");
}

TEST(StatsFormat, EmptyStatsAreZeros) {
  auto r = stats_row(json{{"id", "x"}, {"name", "/x"}}, "x", false);
  EXPECT_EQ(r["CPUPerc"], "0.00%");
  EXPECT_EQ(r["MemUsage"], "0B / 0B");
  EXPECT_EQ(r["NetIO"], "0B / 0B");
  EXPECT_EQ(r["PIDs"], "0");
  EXPECT_EQ(bytes_size(1.5 * 1024 * 1024 * 1024), "1.5GiB");
}
