#include "engine/container_stats.hpp"

#include <gtest/gtest.h>

using namespace berth::engine;
using nlohmann::json;

namespace {

// runc's stats "data" as the runtime library reads it from a v1 hierarchy.
json v1_data() {
  return {{"cpu", {{"usage", {{"total", 5000000}, {"percpu", {3000000, 2000000}}, {"kernel", 1000000}, {"user", 4000000}}},
                   {"throttling", {{"periods", 7}, {"throttled_periods", 1}, {"throttled_time", 99}}}}},
          {"memory", {{"cache", 4096},
                      {"usage", {{"usage", 1048576}, {"max", 2097152}, {"failcnt", 0}, {"limit", 9223372036854771712ull}}},
                      {"raw", {{"total_inactive_file", 4096}, {"cache", 4096}}}}},
          {"pids", {{"current", 3}, {"limit", 0}}},
          {"blkio", {{"ioServiceBytesRecursive",
                      {{{"major", 8}, {"minor", 0}, {"op", "Read"}, {"value", 512}},
                       {{"major", 8}, {"minor", 0}, {"op", "Write"}, {"value", 1024}}}},
                     {"ioServicedRecursive", json::array()}}}};
}

StatsHost host(bool v2) {
  StatsHost h;
  h.system_cpu_ns = 123456789000;
  h.online_cpus = 2;
  h.memory_total = 8ull << 30;
  h.v2_memory = v2;
  h.read = "2026-01-01T00:00:01.5Z";
  return h;
}

}  // namespace

TEST(ContainerStats, V1SampleHasDockersShape) {
  json nets = {{"eth0", {{"rx_bytes", 10}, {"tx_bytes", 20}}}};
  auto s = docker_stats_sample(v1_data(), host(false), nets);
  EXPECT_EQ(s["read"], "2026-01-01T00:00:01.5Z");
  EXPECT_EQ(s["cpu_stats"]["cpu_usage"]["total_usage"], 5000000);
  EXPECT_EQ(s["cpu_stats"]["cpu_usage"]["percpu_usage"], (json{3000000, 2000000}));
  EXPECT_EQ(s["cpu_stats"]["cpu_usage"]["usage_in_kernelmode"], 1000000);
  EXPECT_EQ(s["cpu_stats"]["cpu_usage"]["usage_in_usermode"], 4000000);
  EXPECT_EQ(s["cpu_stats"]["system_cpu_usage"], 123456789000ull);
  EXPECT_EQ(s["cpu_stats"]["online_cpus"], 2);
  EXPECT_EQ(s["cpu_stats"]["throttling_data"]["throttled_time"], 99);
  EXPECT_EQ(s["memory_stats"]["usage"], 1048576);
  EXPECT_EQ(s["memory_stats"]["max_usage"], 2097152);
  EXPECT_EQ(s["memory_stats"]["limit"], 8ull << 30);  // unlimited: the host's memory
  EXPECT_EQ(s["memory_stats"]["stats"]["total_inactive_file"], 4096);
  EXPECT_EQ(s["pids_stats"], (json{{"current", 3}}));
  ASSERT_EQ(s["blkio_stats"]["io_service_bytes_recursive"].size(), 2u);
  EXPECT_EQ(s["blkio_stats"]["io_service_bytes_recursive"][0]["op"], "Read");
  EXPECT_TRUE(s["blkio_stats"]["io_serviced_recursive"].is_null());
  EXPECT_EQ(s["networks"], nets);
}

TEST(ContainerStats, V2SampleAndLimits) {
  json d = {{"cpu", {{"usage", {{"total", 10}, {"percpu", json::array()}, {"kernel", 1}, {"user", 9}}}}},
            {"memory", {{"usage", {{"usage", 100}, {"limit", 1000}}}, {"raw", {{"inactive_file", 10}, {"anon", 90}}}}},
            {"pids", {{"current", 1}, {"limit", 50}}},
            {"blkio", {{"ioServiceBytesRecursive", {{{"major", 254}, {"minor", 0}, {"op", "Read"}, {"value", 7}}}}}}};
  auto s = docker_stats_sample(d, host(true), json::object());
  EXPECT_FALSE(s["cpu_stats"]["cpu_usage"].contains("percpu_usage"));
  EXPECT_FALSE(s["memory_stats"].contains("max_usage"));
  EXPECT_EQ(s["memory_stats"]["limit"], 1000);  // a real limit stays
  EXPECT_EQ(s["pids_stats"], (json{{"current", 1}, {"limit", 50}}));
  EXPECT_EQ(s["blkio_stats"]["io_service_bytes_recursive"][0]["op"], "read");
  EXPECT_FALSE(s.contains("networks"));
}

TEST(ContainerStats, BodyTakesThePreviousSample) {
  auto first = docker_stats_sample(v1_data(), host(false), json::object());
  auto body = docker_stats_body(first, nullptr, "/c", "abc");
  EXPECT_EQ(body["preread"], "0001-01-01T00:00:00Z");
  EXPECT_EQ(body["precpu_stats"]["cpu_usage"]["total_usage"], 0);
  EXPECT_EQ(body["name"], "/c");
  EXPECT_EQ(body["id"], "abc");
  auto h = host(false);
  h.read = "2026-01-01T00:00:02.5Z";
  auto second = docker_stats_sample(v1_data(), h, json::object());
  body = docker_stats_body(second, first, "/c", "abc");
  EXPECT_EQ(body["preread"], "2026-01-01T00:00:01.5Z");
  EXPECT_EQ(body["precpu_stats"], first["cpu_stats"]);
  auto empty = docker_stats_empty("/c", "abc");
  EXPECT_EQ(empty["memory_stats"], json::object());
  EXPECT_EQ(empty["read"], "0001-01-01T00:00:00Z");
}

TEST(ContainerStats, NetDevWithoutLoopback) {
  std::string text =
      "Inter-|   Receive                                                |  Transmit\n"
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
      "    lo:     100       2    0    0    0     0          0         0      100       2    0    0    0     0       0          0\n"
      "  eth0:    1500      10    1    2    0     0          0         0      700       5    3    4    0     0       0          0\n";
  auto n = parse_net_dev(text);
  EXPECT_FALSE(n.contains("lo"));
  EXPECT_EQ(n["eth0"], (json{{"rx_bytes", 1500}, {"rx_packets", 10}, {"rx_errors", 1}, {"rx_dropped", 2},
                             {"tx_bytes", 700}, {"tx_packets", 5}, {"tx_errors", 3}, {"tx_dropped", 4}}));
}
