// Content digests ("sha256:<64 hex>") and a streaming sha256 hasher.
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace berth::image {

// A validated digest. Only sha256 is accepted: it is what the store addresses blobs by.
class Digest {
 public:
  Digest() = default;
  static Result<Digest> parse(std::string_view s);
  static Digest of(std::string_view data);  // sha256 of data
  static Digest from_hex(std::string hex) { return Digest(std::move(hex)); }
  const std::string& hex() const { return hex_; }
  std::string str() const { return "sha256:" + hex_; }
  std::string short_id() const { return hex_.substr(0, 12); }
  bool empty() const { return hex_.empty(); }
  friend bool operator==(const Digest&, const Digest&) = default;
  friend auto operator<=>(const Digest&, const Digest&) = default;

 private:
  explicit Digest(std::string hex) : hex_(std::move(hex)) {}
  std::string hex_;
};

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  void update(const void* data, size_t n);
  void update(std::string_view s) { update(s.data(), s.size()); }
  Digest finish();  // the hasher may not be used afterwards

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::image
