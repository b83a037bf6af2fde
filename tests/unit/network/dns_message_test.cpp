// DNS messages: queries parsed (compression included), answers built, and malformed or
// hostile packets dropped or answered FORMERR without reading past their end.
#include "network/dns_message.hpp"

#include <gtest/gtest.h>

#include <random>

using namespace berth::network;
using namespace berth::network::dns;

namespace {

using Bytes = std::vector<uint8_t>;

Bytes header(uint16_t id, uint16_t qdcount, uint8_t flags_hi = 0x01) {
  return {uint8_t(id >> 8), uint8_t(id), flags_hi, 0, uint8_t(qdcount >> 8), uint8_t(qdcount), 0, 0, 0, 0, 0, 0};
}

void put_name(Bytes& b, const std::string& dotted) {
  size_t start = 0;
  while (start < dotted.size()) {
    size_t dot = dotted.find('.', start);
    if (dot == std::string::npos) dot = dotted.size();
    b.push_back(uint8_t(dot - start));
    b.insert(b.end(), dotted.begin() + long(start), dotted.begin() + long(dot));
    start = dot + 1;
  }
  b.push_back(0);
}

Bytes query(const std::string& name, uint16_t type, uint16_t id = 0x1234) {
  Bytes b = header(id, 1);
  put_name(b, name);
  b.insert(b.end(), {uint8_t(type >> 8), uint8_t(type), 0, 1});
  return b;
}

uint8_t rcode(const Bytes& r) { return r[3] & 0x0F; }
uint16_t count(const Bytes& r, int at) { return uint16_t(r[at] << 8 | r[at + 1]); }

Parsed parse(const Bytes& b) { return parse_query(b); }

}  // namespace

TEST(DnsMessage, ParsesAQuery) {
  auto p = parse(query("Web.Net1", kTypeA));
  ASSERT_EQ(p.kind, Parsed::Kind::Ok);
  EXPECT_EQ(p.query.id, 0x1234);
  EXPECT_TRUE(p.query.recursion_desired);
  EXPECT_EQ(p.query.question.name, "Web.Net1");
  EXPECT_EQ(p.query.question.qtype, kTypeA);
  EXPECT_EQ(p.query.question.qclass, kClassIn);
  EXPECT_EQ(canonical_name("Web.Net1."), "web.net1");
}

TEST(DnsMessage, TrailingRecordsAreIgnoredAsEdnsSendsThem) {
  auto b = query("web", kTypeA);
  b[11] = 1;  // arcount: an OPT record
  b.insert(b.end(), {0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(parse(b).kind, Parsed::Kind::Ok);
}

TEST(DnsMessage, BackwardCompressionPointerIsFollowed) {
  // The question comes first, so the only earlier bytes are the header's: a pointer to
  // offset 6 (ancount, zero) reads the root name there and ends "web".
  Bytes b = header(1, 1);
  b.push_back(3);
  b.insert(b.end(), {'w', 'e', 'b'});
  b.insert(b.end(), {0xC0, 6});  // -> offset 6: a zero byte, the root
  b.insert(b.end(), {0, 1, 0, 1});
  auto p = parse(b);
  ASSERT_EQ(p.kind, Parsed::Kind::Ok);
  EXPECT_EQ(p.query.question.name, "web");
  EXPECT_EQ(p.query.question.qtype, kTypeA);
}

TEST(DnsMessage, ShortPacketsAndResponsesAreDropped) {
  for (size_t n = 0; n < kHeaderSize; ++n) EXPECT_EQ(parse(Bytes(n, 0)).kind, Parsed::Kind::Drop) << n;
  auto b = query("web", kTypeA);
  b[2] |= 0x80;  // QR: a response sent to the server
  EXPECT_EQ(parse(b).kind, Parsed::Kind::Drop);
}

TEST(DnsMessage, QuestionCountOtherThanOneIsFormErr) {
  for (uint16_t qd : {0, 2, 0xFFFF}) {
    auto b = query("web", kTypeA);
    b[4] = uint8_t(qd >> 8);
    b[5] = uint8_t(qd);
    auto p = parse(b);
    EXPECT_EQ(p.kind, Parsed::Kind::Error) << qd;
    EXPECT_EQ(p.rcode, kFormErr) << qd;
  }
}

TEST(DnsMessage, OtherOpcodesAreNotImplemented) {
  auto b = query("web", kTypeA);
  b[2] = uint8_t(2 << 3);  // STATUS
  auto p = parse(b);
  EXPECT_EQ(p.kind, Parsed::Kind::Error);
  EXPECT_EQ(p.rcode, kNotImp);
}

TEST(DnsMessage, MalformedNamesAreFormErr) {
  std::vector<std::pair<std::string, Bytes>> cases;
  auto with = [&](std::string what, std::initializer_list<uint8_t> name, bool tail = true) {
    Bytes b = header(7, 1);
    b.insert(b.end(), name);
    if (tail) b.insert(b.end(), {0, 1, 0, 1});
    cases.emplace_back(std::move(what), std::move(b));
  };
  with("truncated label", {5, 'a', 'b'}, false);
  with("no terminating zero", {3, 'a', 'b', 'c'}, false);
  with("no type and class", {3, 'a', 'b', 'c', 0}, false);
  with("label length 64", {64, 'a'});
  with("label length 128", {0x80, 'a'});
  with("pointer to itself", {0xC0, 12});
  with("pointer forward", {0xC0, 14, 0, 3, 'a', 'b', 'c', 0});
  with("pointer cut in half", {0xC0}, false);
  with("dot inside a label", {3, 'a', '.', 'b', 0});
  with("NUL inside a label", {3, 'a', 0, 'b', 0});
  // A loop through two pointers: 12 -> "a" then pointer to 12 (not before the name start).
  with("pointer loop", {1, 'a', 0xC0, 12});
  // 128 labels of 1 byte: 256 bytes of name on the wire, over the 255 limit.
  Bytes longname = header(7, 1);
  for (int i = 0; i < 128; ++i) longname.insert(longname.end(), {1, 'x'});
  longname.insert(longname.end(), {0, 0, 1, 0, 1});
  cases.emplace_back("name over 255 bytes", longname);
  // A label of 63 bytes is fine, so is a 253-character name.
  for (auto& [what, b] : cases) {
    auto p = parse(b);
    EXPECT_EQ(p.kind, Parsed::Kind::Error) << what;
    EXPECT_EQ(p.rcode, kFormErr) << what;
    auto r = error_response(b, p.rcode);
    ASSERT_EQ(r.size(), kHeaderSize) << what;
    EXPECT_EQ(r[0], 0);
    EXPECT_EQ(r[1], 7);
    EXPECT_TRUE(r[2] & 0x80) << what;
    EXPECT_EQ(rcode(r), kFormErr) << what;
  }
  EXPECT_EQ(parse(query(std::string(63, 'a') + ".b", kTypeA)).kind, Parsed::Kind::Ok);
  std::string name253;
  while (name253.size() + 2 <= 253) name253 += (name253.empty() ? "" : ".") + std::string(1, 'x');
  EXPECT_EQ(parse(query(name253, kTypeA)).kind, Parsed::Kind::Ok);
}

TEST(DnsMessage, RandomBytesNeverCrash) {
  std::mt19937 rng(42);
  for (int i = 0; i < 20000; ++i) {
    Bytes b(rng() % 80);
    for (auto& x : b) x = uint8_t(rng());
    if (b.size() > 5 && i % 2) {  // plausible headers, so the name parser gets exercised
      b[2] = 0x01;
      b[4] = 0;
      b[5] = 1;
    }
    auto p = parse(b);
    if (p.kind == Parsed::Kind::Ok) {
      EXPECT_LE(p.query.question.name.size(), 254u);
    }
  }
}

TEST(DnsMessage, AResponseEchoesTheQuestionAndPointsToIt) {
  auto p = parse(query("Web", kTypeA, 0xBEEF));
  ASSERT_EQ(p.kind, Parsed::Kind::Ok);
  auto r = a_response(p.query, {*Ipv4::parse("10.1.2.3"), *Ipv4::parse("10.1.2.4")}, 600);
  EXPECT_EQ(r[0], 0xBE);
  EXPECT_EQ(r[1], 0xEF);
  EXPECT_EQ(r[2] & 0x80, 0x80);  // QR
  EXPECT_EQ(r[2] & 0x01, 0x01);  // RD echoed
  EXPECT_EQ(rcode(r), kNoError);
  EXPECT_EQ(count(r, 4), 1);
  EXPECT_EQ(count(r, 6), 2);
  // Question: 3 "Web" 0, type, class.
  Bytes q(r.begin() + 12, r.begin() + 12 + 9);
  EXPECT_EQ(q, (Bytes{3, 'W', 'e', 'b', 0, 0, 1, 0, 1}));
  size_t a = 21;
  EXPECT_EQ(Bytes(r.begin() + long(a), r.begin() + long(a) + 16),
            (Bytes{0xC0, 12, 0, 1, 0, 1, 0, 0, 0x02, 0x58, 0, 4, 10, 1, 2, 3}));
  EXPECT_EQ(r.size(), 21u + 32u);
}

TEST(DnsMessage, ManyAddressesAreCutToFitAndMarkedTruncated) {
  auto p = parse(query("web", kTypeA));
  std::vector<Ipv4> many(100, *Ipv4::parse("10.0.0.1"));
  auto r = a_response(p.query, many, 600);
  EXPECT_LE(r.size(), kMaxUdpMessage);
  EXPECT_TRUE(r[2] & 0x02);
  EXPECT_EQ(count(r, 6), (r.size() - 12 - 9) / 16);
}

TEST(DnsMessage, PtrAndEmptyResponses) {
  auto p = parse(query("3.2.1.10.in-addr.arpa", kTypePtr));
  ASSERT_EQ(p.kind, Parsed::Kind::Ok);
  EXPECT_EQ(reverse_name_address(canonical_name(p.query.question.name)), Ipv4::parse("10.1.2.3").value());
  auto r = ptr_response(p.query, "web.net1", 600);
  EXPECT_EQ(count(r, 6), 1);
  Bytes tail(r.end() - 10, r.end());
  EXPECT_EQ(tail, (Bytes{3, 'w', 'e', 'b', 4, 'n', 'e', 't', '1', 0}));
  auto nx = empty_response(p.query, kNxDomain);
  EXPECT_EQ(rcode(nx), kNxDomain);
  EXPECT_EQ(count(nx, 6), 0);
  for (const char* bad : {"1.2.3.in-addr.arpa", "1.2.3.4.5.in-addr.arpa", "256.1.1.1.in-addr.arpa",
                          "01.1.1.1.in-addr.arpa", "a.1.1.1.in-addr.arpa", "1.1.1.1.ip6.arpa", ".1.1.1.in-addr.arpa"})
    EXPECT_FALSE(reverse_name_address(bad)) << bad;
}

TEST(DnsMessage, MessageIds) {
  Bytes b = query("web", kTypeA, 0x0102);
  EXPECT_EQ(message_id(b), 0x0102);
  set_message_id(b, 0xA0B0);
  EXPECT_EQ(message_id(b), 0xA0B0);
  EXPECT_EQ(message_id(Bytes{1}), 0);
}
