// The shim's attach framing and docker's detach keys.
#include <gtest/gtest.h>

#include "engine/attach_protocol.hpp"

using namespace berth::engine;

namespace {

std::vector<Frame> decode_all(FrameDecoder& d) {
  std::vector<Frame> out;
  while (true) {
    auto f = d.next();
    EXPECT_TRUE(f.has_value()) << (f ? "" : f.error().what());
    if (!f || !*f) break;
    out.push_back(std::move(**f));
  }
  return out;
}

}  // namespace

TEST(AttachFraming, RoundTripsSplitAnywhere) {
  std::string wire = encode_frame(FrameType::Attach) + encode_frame(FrameType::Stdin, "hello\n") +
                     encode_resize(24, 80) + encode_frame(FrameType::CloseStdin) +
                     encode_frame(FrameType::Stdout, std::string(1000, 'x'));
  for (size_t step : {size_t{1}, size_t{3}, size_t{7}, wire.size()}) {
    FrameDecoder d;
    std::vector<Frame> got;
    for (size_t off = 0; off < wire.size(); off += step) {
      d.feed(std::string_view(wire).substr(off, step));
      for (auto& f : decode_all(d)) got.push_back(std::move(f));
    }
    ASSERT_EQ(got.size(), 5u) << step;
    EXPECT_EQ(got[0].type, FrameType::Attach);
    EXPECT_EQ(got[1].payload, "hello\n");
    auto rc = decode_resize(got[2].payload);
    ASSERT_TRUE(rc);
    EXPECT_EQ(rc->first, 24u);
    EXPECT_EQ(rc->second, 80u);
    EXPECT_EQ(got[3].type, FrameType::CloseStdin);
    EXPECT_EQ(got[4].payload.size(), 1000u);
    EXPECT_EQ(d.buffered(), 0u);
  }
}

TEST(AttachFraming, LargePayloadIsSplitIntoFramesUnderTheLimit) {
  std::string big(kMaxFramePayload * 2 + 5, 'y');
  FrameDecoder d;
  d.feed(encode_frame(FrameType::Stdout, big));
  auto frames = decode_all(d);
  ASSERT_EQ(frames.size(), 3u);
  std::string joined;
  for (auto& f : frames) {
    EXPECT_LE(f.payload.size(), kMaxFramePayload);
    joined += f.payload;
  }
  EXPECT_EQ(joined, big);
}

TEST(AttachFraming, GarbageIsAnErrorAndStaysOne) {
  FrameDecoder d;
  d.feed("GET / HTTP/1.1\r\n\r\n");
  auto f = d.next();
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().what().find("unknown frame type"), std::string::npos) << f.error().what();
  d.feed(encode_frame(FrameType::Attach));
  EXPECT_FALSE(d.next());

  FrameDecoder huge;
  huge.feed(std::string("\x02\x7f\xff\xff\xff", 5));  // a 2 GiB stdin frame
  auto h = huge.next();
  ASSERT_FALSE(h);
  EXPECT_NE(h.error().what().find("exceeds the limit"), std::string::npos);

  FrameDecoder partial;  // a header alone is not an error, just incomplete
  partial.feed(std::string("\x02\x00\x00", 3));
  auto p = partial.next();
  ASSERT_TRUE(p);
  EXPECT_FALSE(*p);
}

TEST(AttachFraming, ResizeValuesAreChecked) {
  EXPECT_TRUE(decode_resize(std::string(8, '\0')));
  auto too_big = decode_resize(std::string("\xff\xff\xff\xff\x00\x00\x00\x50", 8));
  ASSERT_FALSE(too_big);
  EXPECT_NE(too_big.error().what().find("out of range"), std::string::npos);
  EXPECT_TRUE(decode_resize(std::string("\x00\x00\xff\xff\x00\x00\xff\xff", 8)));  // 65535 x 65535
  EXPECT_FALSE(decode_resize("abc"));
  EXPECT_FALSE(decode_resize(std::string(9, '\0')));
}

TEST(DetachKeys, ParsesDockersFormat) {
  EXPECT_EQ(*parse_detach_keys("ctrl-p,ctrl-q"), std::string("\x10\x11"));
  EXPECT_EQ(*parse_detach_keys("ctrl-x,y"), std::string("\x18y"));
  EXPECT_EQ(*parse_detach_keys("ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_"),
            std::string("\x00\x1b\x1c\x1d\x1e\x1f", 6));
  EXPECT_EQ(*parse_detach_keys("a,DEL"), std::string("a\x7f"));
}

TEST(DetachKeys, RefusesWhatDockerRefuses) {
  for (const char* bad : {"", "ctrl-", "ctrl-1", "ctrl-P", "alt-x", "ab", "ctrl-p,,ctrl-q", "ctrl-p,", ","}) {
    auto r = parse_detach_keys(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_NE(r.error().what().find("Unknown character"), std::string::npos) << r.error().what();
    }
  }
}

TEST(DetachKeys, MatcherForwardsAllButTheSequence) {
  DetachMatcher m("\x10\x11");
  EXPECT_EQ(m.feed("ls\n"), "ls\n");
  EXPECT_EQ(m.feed("\x10"), "");            // held back: may be the start of the sequence
  EXPECT_EQ(m.feed("x"), "\x10x");          // it was not
  EXPECT_EQ(m.feed("a\x10\x10"), "a\x10");  // the second ctrl-p may still start it
  EXPECT_FALSE(m.detached());
  EXPECT_EQ(m.feed("\x11trailing"), "");
  EXPECT_TRUE(m.detached());
  EXPECT_EQ(m.feed("more"), "");

  DetachMatcher split("\x18y");
  std::string out;
  for (char ch : std::string("echo \x18x\x18y")) out += split.feed(std::string_view(&ch, 1));
  EXPECT_EQ(out, "echo \x18x");
  EXPECT_TRUE(split.detached());

  DetachMatcher eof("\x10\x11");
  EXPECT_EQ(eof.feed("ab\x10"), "ab");
  EXPECT_EQ(eof.take_pending(), "\x10");

  DetachMatcher none("");
  EXPECT_EQ(none.feed("\x10\x11"), std::string("\x10\x11"));
  EXPECT_FALSE(none.detached());
}
