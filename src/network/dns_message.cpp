#include "network/dns_message.hpp"

#include <algorithm>

namespace berth::network::dns {

namespace {

constexpr size_t kMaxName = 255;  // wire length, length bytes and the final zero included

uint16_t get16(std::span<const uint8_t> p, size_t at) { return uint16_t(p[at] << 8 | p[at + 1]); }

void put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(uint8_t(v >> 8));
  out.push_back(uint8_t(v));
}

void put32(std::vector<uint8_t>& out, uint32_t v) {
  put16(out, uint16_t(v >> 16));
  put16(out, uint16_t(v));
}

// Reads the name at pos into out (labels joined by '.'), moving pos past it. Every pointer
// must point before the previous one's target (the first: before the name), so the walk
// always ends; a label with a '.' or NUL in it is refused, as the text form could not hold it.
bool read_name(std::span<const uint8_t> p, size_t& pos, std::string& out) {
  size_t cur = pos, limit = pos, end = 0, wire = 1;
  bool jumped = false;
  out.clear();
  while (true) {
    if (cur >= p.size()) return false;
    uint8_t len = p[cur];
    if ((len & 0xC0) == 0xC0) {
      if (cur + 1 >= p.size()) return false;
      size_t target = size_t(len & 0x3F) << 8 | p[cur + 1];
      if (target >= limit) return false;
      if (!jumped) end = cur + 2;
      jumped = true;
      limit = cur = target;
      continue;
    }
    if (len & 0xC0) return false;  // 64..191: no such label type
    if (len == 0) {
      if (!jumped) end = cur + 1;
      break;
    }
    if (cur + 1 + len > p.size()) return false;
    wire += len + 1u;
    if (wire > kMaxName) return false;
    if (!out.empty()) out += '.';
    for (size_t i = cur + 1; i <= cur + len; ++i) {
      if (p[i] == '.' || p[i] == 0) return false;
      out += char(p[i]);
    }
    cur += 1 + len;
  }
  pos = end;
  return true;
}

void write_name(std::vector<uint8_t>& out, const std::string& name) {
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    out.push_back(uint8_t(dot - start));
    out.insert(out.end(), name.begin() + long(start), name.begin() + long(dot));
    start = dot + 1;
  }
  out.push_back(0);
}

std::vector<uint8_t> header_and_question(const Query& q, uint8_t rcode, uint16_t answers) {
  std::vector<uint8_t> out;
  out.reserve(kMaxUdpMessage);
  put16(out, q.id);
  out.push_back(uint8_t(0x80 | 0x04 | (q.recursion_desired ? 0x01 : 0)));  // QR, AA, RD echoed
  out.push_back(uint8_t(0x80 | (rcode & 0x0F)));                              // RA
  put16(out, 1);
  put16(out, answers);
  put16(out, 0);
  put16(out, 0);
  write_name(out, q.question.name);
  put16(out, q.question.qtype);
  put16(out, q.question.qclass);
  return out;
}

// The answer's owner name: a pointer to the question's (at offset 12).
void answer_head(std::vector<uint8_t>& out, uint16_t type, uint32_t ttl, uint16_t rdlength) {
  put16(out, 0xC000 | kHeaderSize);
  put16(out, type);
  put16(out, kClassIn);
  put32(out, ttl);
  put16(out, rdlength);
}

}  // namespace

Parsed parse_query(std::span<const uint8_t> p) {
  Parsed r;
  if (p.size() < kHeaderSize || (p[2] & 0x80)) return r;  // no header, or a response: dropped
  r.kind = Parsed::Kind::Error;
  if (((p[2] >> 3) & 0x0F) != 0) {
    r.rcode = kNotImp;  // only standard queries
    return r;
  }
  r.rcode = kFormErr;
  if (get16(p, 4) != 1) return r;  // one question, as every resolver sends
  size_t pos = kHeaderSize;
  if (!read_name(p, pos, r.query.question.name)) return r;
  if (pos + 4 > p.size()) return r;
  r.query.id = get16(p, 0);
  r.query.recursion_desired = p[2] & 0x01;
  r.query.question.qtype = get16(p, pos);
  r.query.question.qclass = get16(p, pos + 2);
  r.kind = Parsed::Kind::Ok;
  r.rcode = kNoError;
  return r;
}

std::string canonical_name(std::string_view name) {
  std::string s(name);
  if (!s.empty() && s.back() == '.') s.pop_back();
  std::ranges::transform(s, s.begin(), [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; });
  return s;
}

std::vector<uint8_t> a_response(const Query& q, const std::vector<Ipv4>& addrs, uint32_t ttl) {
  // As many records as fit in a plain UDP answer; the rest are cut and TC says so.
  auto out = header_and_question(q, kNoError, 0);
  uint16_t n = 0;
  for (auto& a : addrs) {
    if (out.size() + 16 > kMaxUdpMessage) {
      out[2] |= 0x02;
      break;
    }
    answer_head(out, kTypeA, ttl, 4);
    put32(out, a.value);
    ++n;
  }
  out[6] = uint8_t(n >> 8);
  out[7] = uint8_t(n);
  return out;
}

std::vector<uint8_t> ptr_response(const Query& q, const std::string& target, uint32_t ttl) {
  auto out = header_and_question(q, kNoError, 1);
  std::vector<uint8_t> rdata;
  write_name(rdata, target);
  answer_head(out, kTypePtr, ttl, uint16_t(rdata.size()));
  out.insert(out.end(), rdata.begin(), rdata.end());
  return out;
}

std::vector<uint8_t> empty_response(const Query& q, uint8_t rcode) { return header_and_question(q, rcode, 0); }

std::vector<uint8_t> error_response(std::span<const uint8_t> p, uint8_t rcode) {
  std::vector<uint8_t> out(kHeaderSize, 0);
  if (p.size() >= 3) {
    out[0] = p[0];
    out[1] = p[1];
    out[2] = uint8_t(0x80 | (p[2] & 0x79));  // QR, the opcode and RD echoed
  }
  out[3] = uint8_t(0x80 | (rcode & 0x0F));
  return out;
}

std::optional<Ipv4> reverse_name_address(const std::string& name) {
  static constexpr std::string_view suffix = ".in-addr.arpa";
  if (!name.ends_with(suffix)) return std::nullopt;
  std::string_view rest(name.data(), name.size() - suffix.size());
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    size_t dot = rest.rfind('.');
    std::string_view octet = dot == std::string_view::npos ? rest : rest.substr(dot + 1);
    if (octet.empty() || octet.size() > 3 || (octet.size() > 1 && octet[0] == '0')) return std::nullopt;
    unsigned v = 0;
    for (char c : octet) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + unsigned(c - '0');
    }
    if (v > 255) return std::nullopt;
    value = value << 8 | v;  // the last label is the first octet
    if (dot == std::string_view::npos) {
      if (i != 3) return std::nullopt;
      rest = {};
    } else {
      if (i == 3) return std::nullopt;
      rest = rest.substr(0, dot);
    }
  }
  return Ipv4{value};
}

uint16_t message_id(std::span<const uint8_t> p) { return p.size() < 2 ? 0 : get16(p, 0); }

void set_message_id(std::span<uint8_t> p, uint16_t id) {
  if (p.size() < 2) return;
  p[0] = uint8_t(id >> 8);
  p[1] = uint8_t(id);
}

}  // namespace berth::network::dns
