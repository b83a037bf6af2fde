// Filters as clients send them, event matching, times, and the bus's history and wake-ups.
#include <gtest/gtest.h>
#include <poll.h>

#include "engine/events.hpp"
#include "engine/filters.hpp"

using namespace berth::engine;

namespace {

Event image_event(const std::string& action, const std::string& id, const std::string& name, int64_t t = 0) {
  Event e;
  e.type = "image";
  e.action = action;
  e.actor_id = id;
  if (!name.empty()) e.attributes["name"] = name;
  e.time_nano = t;
  return e;
}

Filters filters(const std::string& json) { return *Filters::parse(json, event_filter_keys()); }

}  // namespace

TEST(Filters, BothWireForms) {
  auto f = Filters::parse(R"({"type":{"image":true,"container":false},"event":["tag"]})", {"type", "event"});
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->match("type", "image"));
  EXPECT_FALSE(f->match("type", "container"));
  EXPECT_TRUE(f->match("event", "tag"));
  EXPECT_TRUE(f->match("label", "anything"));  // absent key: no constraint
  EXPECT_TRUE(Filters::parse("", {"type"})->empty());
}

TEST(Filters, Errors) {
  auto bad = Filters::parse(R"({"colour":["red"]})", {"type"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "invalid filter 'colour'");
  EXPECT_EQ(bad.error().http_status(), 400);
  EXPECT_FALSE(Filters::parse("{nope", {"type"}));
  EXPECT_FALSE(Filters::parse(R"({"type":"image"})", {"type"}));
  auto d = Filters::parse(R"({"dangling":["maybe"]})", {"dangling"});
  ASSERT_TRUE(d);
  auto b = d->get_bool("dangling");
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().message, "invalid filter 'dangling=[maybe]'");
  EXPECT_EQ(**Filters::parse(R"({"dangling":["true"]})", {"dangling"})->get_bool("dangling"), true);
}

TEST(Filters, Labels) {
  auto f = *Filters::parse(R"({"label":["a","b=2"]})", {"label"});
  EXPECT_TRUE(f.match_labels("label", {{"a", "x"}, {"b", "2"}}));
  EXPECT_FALSE(f.match_labels("label", {{"a", "x"}, {"b", "3"}}));
  EXPECT_FALSE(f.match_labels("label", {{"b", "2"}}));
}

TEST(EventFilters, TypeActionImage) {
  auto tag = image_event("tag", "sha256:abc", "busybox:1");
  EXPECT_TRUE(event_matches(filters(R"({"type":["image"]})"), tag));
  EXPECT_FALSE(event_matches(filters(R"({"type":["container"]})"), tag));
  EXPECT_TRUE(event_matches(filters(R"({"event":["tag","delete"]})"), tag));
  EXPECT_FALSE(event_matches(filters(R"({"event":["delete"]})"), tag));
  EXPECT_TRUE(event_matches(filters(R"({"image":["busybox"]})"), tag));
  EXPECT_TRUE(event_matches(filters(R"({"image":["busybox:1"]})"), tag));
  EXPECT_TRUE(event_matches(filters(R"({"image":["sha256:abc"]})"), tag));
  EXPECT_FALSE(event_matches(filters(R"({"image":["alpine"]})"), tag));
  EXPECT_FALSE(event_matches(filters(R"({"container":["x"]})"), tag));
  Event exec;
  exec.type = "container";
  exec.action = "exec_start: sh -c true";
  exec.actor_id = "c1";
  exec.attributes = {{"name", "web"}, {"image", "busybox"}, {"tier", "front"}};
  EXPECT_TRUE(event_matches(filters(R"({"event":["exec_start"]})"), exec));
  EXPECT_TRUE(event_matches(filters(R"({"container":["web"]})"), exec));
  EXPECT_TRUE(event_matches(filters(R"({"image":["busybox"]})"), exec));
  EXPECT_TRUE(event_matches(filters(R"({"label":["tier=front"]})"), exec));
  EXPECT_FALSE(event_matches(filters(R"({"label":["tier=back"]})"), exec));
}

TEST(EventTime, Forms) {
  EXPECT_EQ(*parse_event_time("1700000000"), 1700000000LL * 1000000000);
  EXPECT_EQ(*parse_event_time("1700000000.5"), 1700000000LL * 1000000000 + 500000000);
  EXPECT_EQ(*parse_event_time("1700000000.000000001"), 1700000000LL * 1000000000 + 1);
  EXPECT_EQ(*parse_event_time("2023-11-14T22:13:20Z"), 1700000000LL * 1000000000);
  EXPECT_EQ(*parse_event_time("2023-11-14T23:13:20.25+01:00"), 1700000000LL * 1000000000 + 250000000);
  for (const char* bad : {"", "yesterday", "1.2.3", "2023-11-14", "2023-11-14T22:13:20"})
    EXPECT_FALSE(parse_event_time(bad)) << bad;
}

TEST(EventBus, HistorySinceAndLiveWakeUp) {
  EventBus bus(3);
  for (int i = 1; i <= 5; ++i) bus.publish(image_event("tag", "id", "x", i * 100));
  std::vector<Event> past;
  auto sub = bus.subscribe(int64_t{300}, past);
  ASSERT_EQ(past.size(), 3u);  // history holds the last 3: 300, 400, 500
  EXPECT_EQ(past[0].time_nano, 300);
  std::vector<Event> none;
  auto live_only = bus.subscribe(std::nullopt, none);
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(bus.subscribers(), 2u);
  pollfd p{sub->fd(), POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 0), 0);  // nothing new yet
  bus.publish(image_event("delete", "id", ""));
  EXPECT_EQ(poll(&p, 1, 1000), 1);
  auto got = sub->take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].action, "delete");
  EXPECT_GT(got[0].time_nano, 0);  // stamped by publish
  EXPECT_EQ(poll(&p, 1, 0), 0);    // drained
  EXPECT_EQ(live_only->take().size(), 1u);
  sub.reset();  // unsubscribing: later publishes do not touch it
  EXPECT_EQ(bus.subscribers(), 1u);
  bus.publish(image_event("tag", "id", ""));
  EXPECT_EQ(live_only->take().size(), 1u);
}
