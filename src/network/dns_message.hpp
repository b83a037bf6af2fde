// DNS messages as the embedded resolver needs them (RFC 1035): parse one query, build the
// answers it gives itself (A, PTR, NXDOMAIN, NOERROR without answers, FORMERR, SERVFAIL).
// The packets come from containers, so parsing is strict and bounded: a name may not exceed
// 255 bytes or a label 63, compression pointers must point strictly backwards (no loops), and
// anything malformed is dropped (no usable header) or answered FORMERR; nothing ever reads
// past the packet.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "network/ipv4.hpp"

namespace berth::network::dns {

inline constexpr uint16_t kTypeA = 1, kTypePtr = 12, kTypeAaaa = 28, kClassIn = 1;
inline constexpr uint8_t kNoError = 0, kFormErr = 1, kServFail = 2, kNxDomain = 3, kNotImp = 4;
inline constexpr size_t kHeaderSize = 12;
inline constexpr size_t kMaxUdpMessage = 512;  // what a client without EDNS accepts

struct Question {
  std::string name;  // as asked (case kept, for the echo), no trailing dot; "" is the root
  uint16_t qtype = 0, qclass = 0;
};

struct Query {
  uint16_t id = 0;
  bool recursion_desired = false;
  Question question;
};

// Drop: not worth an answer (shorter than a header, or a response). Error: answer with
// error_response(packet, rcode).
struct Parsed {
  enum class Kind { Ok, Drop, Error } kind = Kind::Drop;
  uint8_t rcode = kNoError;
  Query query;
};

Parsed parse_query(std::span<const uint8_t> packet);

// Lower-case ASCII, no trailing dot: the form names are looked up in.
std::string canonical_name(std::string_view name);

// An answer to q with the question echoed; answers are A records (rcode NoError), or none.
std::vector<uint8_t> a_response(const Query& q, const std::vector<Ipv4>& addrs, uint32_t ttl);
// An answer with one PTR record pointing at target ("web.net1").
std::vector<uint8_t> ptr_response(const Query& q, const std::string& target, uint32_t ttl);
// No answers: NXDOMAIN, SERVFAIL, or NOERROR (a known name without the asked type).
std::vector<uint8_t> empty_response(const Query& q, uint8_t rcode);
// For a packet that did not parse: its ID, the rcode, no question.
std::vector<uint8_t> error_response(std::span<const uint8_t> packet, uint8_t rcode);

// "4.3.2.1.in-addr.arpa" -> 1.2.3.4 (canonical names only); nullopt for anything else.
std::optional<Ipv4> reverse_name_address(const std::string& canonical);

// The 16-bit ID of a message (0 when shorter than 2 bytes), and a copy with another ID.
uint16_t message_id(std::span<const uint8_t> packet);
void set_message_id(std::span<uint8_t> packet, uint16_t id);

}  // namespace berth::network::dns
