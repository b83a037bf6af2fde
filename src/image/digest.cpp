#include "image/digest.hpp"

#include <openssl/evp.h>

namespace berth::image {

Result<Digest> Digest::parse(std::string_view s) {
  auto colon = s.find(':');
  if (colon == std::string_view::npos)
    return fail(ErrorKind::Invalid, "digest \"" + std::string(s) + "\": missing algorithm prefix");
  if (s.substr(0, colon) != "sha256")
    return fail(ErrorKind::Invalid,
                "digest \"" + std::string(s) + "\": unsupported algorithm \"" + std::string(s.substr(0, colon)) + "\"");
  auto hex = s.substr(colon + 1);
  if (hex.size() != 64)
    return fail(ErrorKind::Invalid, "digest \"" + std::string(s) + "\": expected 64 hex characters");
  for (char c : hex)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return fail(ErrorKind::Invalid, "digest \"" + std::string(s) + "\": not lowercase hex");
  return Digest(std::string(hex));
}

Digest Digest::of(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.finish();
}

struct Sha256::Impl {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) { EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr); }
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, size_t n) { EVP_DigestUpdate(impl_->ctx, data, n); }

Digest Sha256::finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(impl_->ctx, md, &len);
  static const char* hexd = "0123456789abcdef";
  std::string hex;
  hex.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    hex += hexd[md[i] >> 4];
    hex += hexd[md[i] & 15];
  }
  return Digest::from_hex(std::move(hex));
}

}  // namespace berth::image
