// `berth ps` formatting: docker's status words and durations, the COMMAND and SIZE columns, and
// the table layout (compared with what docker 28 printed for the same containers).
#include <gtest/gtest.h>

#include <ctime>

#include "api/container_json.hpp"
#include "container_format.hpp"
#include "go_template.hpp"

using namespace berth::cli;
using berth::api::container_status_text;
using berth::api::human_duration;
using nlohmann::json;

namespace {

std::string rfc3339(int64_t unix_seconds) {
  std::time_t t = unix_seconds;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.123456789Z", &tm);
  return buf;
}

std::string table(const std::string& format, const std::vector<json>& rows) {
  auto t = GoTemplate::parse(format, ps_headers());
  EXPECT_TRUE(t.has_value());
  std::vector<std::string> lines = {t->header()};
  for (auto& r : rows) lines.push_back(t->render(r));
  return align_columns(lines);
}

}  // namespace

TEST(HumanDuration, GoUnitsBoundaries) {
  EXPECT_EQ(human_duration(0), "Less than a second");
  EXPECT_EQ(human_duration(1), "1 second");
  EXPECT_EQ(human_duration(59), "59 seconds");
  EXPECT_EQ(human_duration(60), "About a minute");
  EXPECT_EQ(human_duration(119), "About a minute");
  EXPECT_EQ(human_duration(120), "2 minutes");
  EXPECT_EQ(human_duration(3599), "59 minutes");
  EXPECT_EQ(human_duration(3600), "About an hour");
  EXPECT_EQ(human_duration(5399), "About an hour");  // hours are rounded, as go-units does
  EXPECT_EQ(human_duration(5400), "2 hours");
  EXPECT_EQ(human_duration(47 * 3600), "47 hours");
  EXPECT_EQ(human_duration(48 * 3600), "2 days");
  EXPECT_EQ(human_duration(14 * 86400), "2 weeks");
  EXPECT_EQ(human_duration(60 * 86400), "2 months");
  EXPECT_EQ(human_duration(730 * 86400), "2 years");
}

TEST(StatusText, DockerWords) {
  int64_t now = 1'800'000'000;
  berth::engine::ContainerRecord c;
  EXPECT_EQ(container_status_text(c, now), "Created");
  c.state = "running";
  c.started = rfc3339(now - 3);
  EXPECT_EQ(container_status_text(c, now), "Up 3 seconds");
  c.state = "paused";
  EXPECT_EQ(container_status_text(c, now), "Up 3 seconds (Paused)");
  c.state = "exited";
  c.exit_code = 0;
  c.finished = rfc3339(now - 5);
  EXPECT_EQ(container_status_text(c, now), "Exited (0) 5 seconds ago");
  c.exit_code = 137;
  c.finished = rfc3339(now - 7200);
  EXPECT_EQ(container_status_text(c, now), "Exited (137) 2 hours ago");
  c.state = "dead";
  EXPECT_EQ(container_status_text(c, now), "Dead");
}

TEST(PsColumns, CommandQuotedAndCut) {
  EXPECT_EQ(ellipsis("sleep 100", 20), "sleep 100");
  EXPECT_EQ(ellipsis("sh -c 'while true; do echo hi; done'", 20), "sh -c 'while true; …");  // 19 + the ellipsis
  EXPECT_EQ(ellipsis("ééééé", 3), "éé…");  // code points, not bytes
  EXPECT_EQ(go_quote("echo \"hi\"\tthere\n"), "\"echo \\\"hi\\\"\\tthere\\n\"");
  EXPECT_EQ(size_column(0, 1982464), "0B (virtual 1.98MB)");
  EXPECT_EQ(size_column(12, 0), "12B");
}

TEST(PsColumns, RowFromListEntry) {
  int64_t now = 1'800'000'000;
  json c = {{"Id", "628679ec540648ba18cacdde2cc6ee26aaea7156b3e464c0487e1faa5d1c092d"},
            {"Names", {"/c3"}},
            {"Image", "busybox"},
            {"ImageID", "sha256:4b7e2586cd5f58a66d1975ef059166d7870b44ecaf918abba6771e77cc0ab3aa"},
            {"Command", "sleep 100"},
            {"Created", now - 1},
            {"State", "paused"},
            {"Status", "Up Less than a second (Paused)"},
            {"Labels", {{"b", "2"}, {"a", "1"}}}};
  auto r = ps_row(c, true, now);
  EXPECT_EQ(r["ID"], "628679ec5406");
  EXPECT_EQ(r["Names"], "c3");
  EXPECT_EQ(r["Command"], "\"sleep 100\"");
  EXPECT_EQ(r["RunningFor"], "1 second ago");
  EXPECT_EQ(r["Labels"], "a=1,b=2");
  EXPECT_EQ(r["State"], "paused");
  EXPECT_EQ(ps_row(c, false, now)["ID"], c["Id"]);
  // An image given by ID shows as a short ID.
  c["Image"] = c["ImageID"];
  EXPECT_EQ(ps_row(c, true, now)["Image"], "4b7e2586cd5f");
}

TEST(PsTable, SameLayoutAsDocker) {
  int64_t now = 1'800'000'000;
  auto entry = [&](const char* id, const char* name, const char* cmd, const char* status) {
    return json{{"Id", id}, {"Names", {name}}, {"Image", "busybox"}, {"Command", cmd}, {"Created", now - 1},
                {"Status", status}, {"SizeRw", 0}, {"SizeRootFs", 1982464}};
  };
  std::vector<json> rows = {
      ps_row(entry("628679ec5406aa", "/c3", "sleep 100", "Up Less than a second (Paused)"), true, now),
      ps_row(entry("b593020a1d71bb", "/c2", "sleep 100", "Created"), true, now),
      ps_row(entry("d73d0f248416cc", "/c1", "echo hi", "Exited (0) Less than a second ago"), true, now)};
  // What docker 28 printed for the same three containers (`docker ps -a`, then `-s`).
  EXPECT_EQ(table(ps_default_format(false), rows),
            "CONTAINER ID   IMAGE     COMMAND       CREATED        STATUS                              PORTS     NAMES\n"
            "628679ec5406   busybox   \"sleep 100\"   1 second ago   Up Less than a second (Paused)                c3\n"
            "b593020a1d71   busybox   \"sleep 100\"   1 second ago   Created                                       c2\n"
            "d73d0f248416   busybox   \"echo hi\"     1 second ago   Exited (0) Less than a second ago             c1\n");
  EXPECT_EQ(table(ps_default_format(true), rows),
            "CONTAINER ID   IMAGE     COMMAND       CREATED        STATUS                              PORTS     NAMES     SIZE\n"
            "628679ec5406   busybox   \"sleep 100\"   1 second ago   Up Less than a second (Paused)                c3        0B (virtual 1.98MB)\n"
            "b593020a1d71   busybox   \"sleep 100\"   1 second ago   Created                                       c2        0B (virtual 1.98MB)\n"
            "d73d0f248416   busybox   \"echo hi\"     1 second ago   Exited (0) Less than a second ago             c1        0B (virtual 1.98MB)\n");
  EXPECT_EQ(table("table {{.Names}}\t{{.State}}", {}), "NAMES     STATE\n");
}
