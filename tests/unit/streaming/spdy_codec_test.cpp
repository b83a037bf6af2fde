// The SPDY/3.1 codec: every frame type round-trips, header blocks survive a shared zlib stream,
// and hostile input (bad lengths, zlib bombs, garbage) is an error naming the field, never a crash.
#include <gtest/gtest.h>
#include <zlib.h>

#include "cri/streaming/spdy_frame.hpp"

using namespace berth::cri::streaming::spdy;

namespace {

std::string error_of(const std::string& bytes) {
  FrameReader r;
  r.feed(bytes);
  auto f = r.next();
  return f ? "" : f.error().what();
}

std::string control(uint16_t type, uint8_t flags, const std::string& body, uint16_t version = 3) {
  std::string o = {char(0x80 | version >> 8), char(version), char(type >> 8), char(type), char(flags),
                   char(body.size() >> 16), char(body.size() >> 8), char(body.size())};
  return o + body;
}

std::string be32(uint32_t v) { return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; }

}  // namespace

TEST(SpdyDictionary, IsTheDraftsBytes) {
  auto d = header_dictionary();
  ASSERT_EQ(d.size(), 1423u);
  // Its start and end as the draft prints them, and zlib's id for it (its Adler-32, as the
  // dictionary in crictl's own SPDY code has it): a peer's inflate fails on any other.
  EXPECT_EQ(d.substr(0, 11), std::string_view("\0\0\0\7options", 11));
  EXPECT_EQ(d.substr(d.size() - 9), ",*,enq=0.");
  EXPECT_EQ(adler32(1, reinterpret_cast<const Bytef*>(d.data()), static_cast<uInt>(d.size())), 0xe3c6a7c2u);
}

TEST(SpdyHeaders, RoundTripThroughOneZlibStreamPerDirection) {
  HeaderCompressor c;
  HeaderDecompressor d;
  for (int i = 0; i < 3; ++i) {
    Headers h = {{"streamtype", "stdout"}, {"Port", std::to_string(8000 + i)}, {"multi", std::string("a\0b", 3)}};
    auto block = c.compress(h);
    ASSERT_TRUE(block);
    auto back = d.decompress(*block);
    ASSERT_TRUE(back) << back.error().what();
    ASSERT_EQ(back->size(), 3u);
    EXPECT_EQ(header_value(*back, "streamType"), "stdout");
    EXPECT_EQ(header_value(*back, "port"), std::to_string(8000 + i));  // names arrive lower case
    EXPECT_EQ(header_value(*back, "multi"), std::string("a\0b", 3));
  }
}

TEST(SpdyHeaders, MalformedBlocksNameTheField) {
  EXPECT_EQ(parse_headers(std::string("\0\0", 2)).error().what(), "header block: truncated pair count");
  EXPECT_EQ(parse_headers(be32(1) + be32(100) + "ab").error().what(),
            "header block: name length 100 exceeds the block (2 bytes left)");
  EXPECT_EQ(parse_headers(be32(1000)).error().what(), "header block: pair count 1000 exceeds 256");
  EXPECT_EQ(parse_headers(be32(1) + be32(0) + be32(0)).error().what(), "header block: empty header name");
  EXPECT_EQ(parse_headers(be32(0) + "x").error().what(), "header block: 1 bytes after the last pair");
  EXPECT_EQ(parse_headers(be32(1) + be32(1) + "a" + be32(0xffffffff)).error().what(),
            "header block: value length 4294967295 exceeds the block (0 bytes left)");
  HeaderDecompressor d;
  auto garbage = d.decompress("this is not zlib");
  ASSERT_FALSE(garbage);
  EXPECT_NE(garbage.error().what().find("bad compressed data"), std::string::npos) << garbage.error().what();
  EXPECT_FALSE(d.decompress("").has_value());  // the stream stays failed
}

TEST(SpdyHeaders, ZlibBombIsRefused) {
  // A small block that inflates to far more than the limit (one huge value of zeros).
  std::string big = be32(1) + be32(1) + "a" + be32(10 << 20) + std::string(10 << 20, '\0');
  z_stream z{};
  ASSERT_EQ(deflateInit(&z, 9), Z_OK);
  auto dict = header_dictionary();
  deflateSetDictionary(&z, reinterpret_cast<const Bytef*>(dict.data()), static_cast<uInt>(dict.size()));
  std::string out(deflateBound(&z, big.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(big.data());
  z.avail_in = static_cast<uInt>(big.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  ASSERT_EQ(deflate(&z, Z_SYNC_FLUSH), Z_OK);
  out.resize(out.size() - z.avail_out);
  deflateEnd(&z);
  ASSERT_LT(out.size(), 64u * 1024);
  HeaderDecompressor d;
  auto r = d.decompress(out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(), "header block: inflates past 65536 bytes");
}

TEST(SpdyFrame, EveryTypeRoundTrips) {
  FrameWriter w;
  FrameReader r;
  std::vector<Frame> frames(8);
  frames[0].type = FrameType::SynStream;
  frames[0].stream_id = 1;
  frames[0].priority = 5;
  frames[0].flags = kFlagFin;
  frames[0].headers = {{"streamtype", "error"}};
  frames[1].type = FrameType::SynReply;
  frames[1].stream_id = 1;
  frames[2].type = FrameType::RstStream;
  frames[2].stream_id = 3;
  frames[2].status = kRstCancel;
  frames[3].type = FrameType::Settings;
  frames[3].settings = {{0, kSettingInitialWindowSize, 1 << 20}};
  frames[4].type = FrameType::Ping;
  frames[4].ping_id = 7;
  frames[5].type = FrameType::GoAway;
  frames[5].stream_id = 5;
  frames[6].type = FrameType::WindowUpdate;
  frames[6].stream_id = 1;
  frames[6].delta = 4096;
  frames[7].type = FrameType::Data;
  frames[7].stream_id = 3;
  frames[7].data = "hello";
  frames[7].flags = kFlagFin;
  std::string wire;
  for (auto& f : frames) wire += *w.encode(f);
  // Fed a byte at a time: frames come out whole, in order.
  std::vector<Frame> got;
  for (char c : wire) {
    r.feed(std::string_view(&c, 1));
    while (true) {
      auto f = r.next();
      ASSERT_TRUE(f) << f.error().what();
      if (!*f) break;
      got.push_back(**f);
    }
  }
  ASSERT_EQ(got.size(), frames.size());
  EXPECT_EQ(got[0].type, FrameType::SynStream);
  EXPECT_EQ(got[0].priority, 5);
  EXPECT_TRUE(got[0].fin());
  EXPECT_EQ(header_value(got[0].headers, "streamtype"), "error");
  EXPECT_EQ(got[1].type, FrameType::SynReply);
  EXPECT_TRUE(got[1].headers.empty());
  EXPECT_EQ(got[2].status, kRstCancel);
  ASSERT_EQ(got[3].settings.size(), 1u);
  EXPECT_EQ(got[3].settings[0].id, kSettingInitialWindowSize);
  EXPECT_EQ(got[3].settings[0].value, 1u << 20);
  EXPECT_EQ(got[4].ping_id, 7u);
  EXPECT_EQ(got[5].stream_id, 5u);
  EXPECT_EQ(got[6].delta, 4096u);
  EXPECT_EQ(got[7].data, "hello");
  EXPECT_TRUE(got[7].fin());
}

TEST(SpdyFrame, HostileFramesAreErrorsNamingTheField) {
  EXPECT_EQ(error_of(control(6, 0, "abc")), "spdy PING: length 3, expected 4");
  EXPECT_EQ(error_of(control(3, 0, be32(0) + be32(1))), "spdy RST_STREAM: stream id 0");
  EXPECT_EQ(error_of(control(3, 0, be32(1) + be32(0))), "spdy RST_STREAM: status 0");
  EXPECT_EQ(error_of(control(9, 0, be32(1) + be32(0))), "spdy WINDOW_UPDATE: delta 0");
  EXPECT_EQ(error_of(control(4, 0, be32(0x20000000))), "spdy SETTINGS: 536870912 entries do not fit its length 4");
  EXPECT_EQ(error_of(control(1, 0, be32(1))), "spdy SYN_STREAM: length 4, at least 10");
  EXPECT_EQ(error_of(control(1, 0x80, be32(1) + be32(0) + std::string(2, '\0'))), "spdy SYN_STREAM: unknown flags 128");
  EXPECT_EQ(error_of(control(6, 0, be32(1), 2)), "spdy: control frame version 2 (only 3 is spoken)");
  EXPECT_EQ(error_of(control(42, 0, "")), "spdy: unknown control frame type 42");
  EXPECT_EQ(error_of(std::string("\x00\x00\x00\x00\x00\x00\x00\x00", 8)), "spdy DATA: stream id 0");
  EXPECT_EQ(error_of(std::string("\x00\x00\x00\x01\x00\xff\xff\xff", 8)), "spdy: frame length 16777215 exceeds 1048576");
  auto syn = error_of(control(1, 0, be32(1) + be32(0) + std::string(2, '\0') + "garbage"));
  EXPECT_NE(syn.find("spdy SYN_STREAM 1: header block: bad compressed data"), std::string::npos) << syn;
  // A failed reader stays failed: nothing after a malformed frame is trusted.
  FrameReader r;
  r.feed(control(6, 0, "abc") + control(6, 0, be32(1)));
  EXPECT_FALSE(r.next());
  EXPECT_FALSE(r.next());
}

TEST(SpdyFrame, RandomBytesNeverCrash) {
  uint32_t seed = 12345;
  auto rnd = [&] { return seed = seed * 1103515245 + 12345, (seed >> 16) & 0xff; };
  for (int round = 0; round < 2000; ++round) {
    std::string junk;
    int n = 8 + static_cast<int>(rnd() % 64);
    for (int i = 0; i < n; ++i) junk.push_back(static_cast<char>(rnd()));
    if (round % 2) junk[0] = static_cast<char>(0x80), junk[1] = 3;  // mostly control frames of version 3
    if (round % 4 == 1) junk[5] = junk[6] = 0, junk[7] = static_cast<char>(n - 8);  // consistent length
    FrameReader r;
    r.feed(junk);
    for (int i = 0; i < 4; ++i) {
      auto f = r.next();
      if (!f || !*f) break;
    }
  }
}
