// berth's nftables rules through libnftables (no `nft` process): commands in nft's own syntax,
// applied as one atomic transaction per call, in the caller's network namespace.
#pragma once
#include <string>

#include "common/error.hpp"

struct nft_ctx;

namespace berth::network {

class Nftables {
 public:
  static Result<Nftables> open();
  Nftables(Nftables&&) noexcept;
  Nftables& operator=(Nftables&&) noexcept;
  ~Nftables();

  // Runs the commands (several lines are one transaction: all or nothing) and returns what
  // nft printed; an error carries nft's own message.
  Result<std::string> run(const std::string& commands);
  // The same, with listings in nft's JSON.
  Result<std::string> run_json(const std::string& commands);

 private:
  explicit Nftables(nft_ctx* c) : ctx_(c) {}
  Result<std::string> run_with(const std::string& commands, bool json);
  nft_ctx* ctx_ = nullptr;
};

}  // namespace berth::network
