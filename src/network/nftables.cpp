#include "network/nftables.hpp"

#include <nftables/libnftables.h>

#include <utility>

namespace berth::network {

Result<Nftables> Nftables::open() {
  nft_ctx* c = nft_ctx_new(NFT_CTX_DEFAULT);
  if (!c) return fail(ErrorKind::Internal, "nftables: cannot create a context");
  // Output and errors go to buffers we return, never to our stdout/stderr.
  if (nft_ctx_buffer_output(c) != 0 || nft_ctx_buffer_error(c) != 0) {
    nft_ctx_free(c);
    return fail(ErrorKind::Internal, "nftables: cannot buffer output");
  }
  return Nftables(c);
}

Nftables::Nftables(Nftables&& o) noexcept : ctx_(std::exchange(o.ctx_, nullptr)) {}
Nftables& Nftables::operator=(Nftables&& o) noexcept {
  if (this != &o) {
    if (ctx_) nft_ctx_free(ctx_);
    ctx_ = std::exchange(o.ctx_, nullptr);
  }
  return *this;
}
Nftables::~Nftables() {
  if (ctx_) nft_ctx_free(ctx_);
}

Result<std::string> Nftables::run(const std::string& commands) { return run_with(commands, false); }
Result<std::string> Nftables::run_json(const std::string& commands) { return run_with(commands, true); }

Result<std::string> Nftables::run_with(const std::string& commands, bool json) {
  unsigned flags = nft_ctx_output_get_flags(ctx_);
  nft_ctx_output_set_flags(ctx_, json ? (flags | NFT_CTX_OUTPUT_JSON) : (flags & ~NFT_CTX_OUTPUT_JSON));
  int rc = nft_run_cmd_from_buffer(ctx_, commands.c_str());
  std::string out = nft_ctx_get_output_buffer(ctx_);
  std::string err = nft_ctx_get_error_buffer(ctx_);
  if (rc != 0) {
    while (!err.empty() && err.back() == '\n') err.pop_back();
    return fail(ErrorKind::Internal, "nftables: " + (err.empty() ? std::string("command failed") : err));
  }
  return out;
}

}  // namespace berth::network
