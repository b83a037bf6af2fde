// Blobs addressed by their sha256 digest. A blob becomes visible only after its bytes were
// hashed and matched the digest the caller expected; an aborted write leaves nothing behind.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/fd.hpp"
#include "image/digest.hpp"

namespace berth::image {

// Streams one blob in. Destroying it without commit() discards the bytes.
class ContentWriter {
 public:
  virtual ~ContentWriter() = default;
  virtual Result<> write(std::string_view data) = 0;
  virtual uint64_t written() const = 0;
  // Verifies the digest (and size when given), then publishes the blob atomically.
  // A blob that already exists is left as it is. Returns the digest of the bytes written.
  virtual Result<Digest> commit(const std::optional<Digest>& expected = std::nullopt,
                                std::optional<uint64_t> expected_size = std::nullopt) = 0;
};

class ContentStore {
 public:
  virtual ~ContentStore() = default;
  virtual bool has(const Digest& d) const = 0;
  virtual Result<uint64_t> size(const Digest& d) const = 0;
  virtual Result<std::string> read(const Digest& d) const = 0;
  // A read-only fd positioned at 0.
  virtual Result<UniqueFd> open(const Digest& d) const = 0;
  virtual Result<std::unique_ptr<ContentWriter>> writer() = 0;
  virtual Result<> remove(const Digest& d) = 0;
  virtual Result<std::vector<Digest>> list() const = 0;

  // Convenience: one-shot write through writer().
  Result<Digest> put(std::string_view data, const std::optional<Digest>& expected = std::nullopt);
};

// Files under <root>/blobs/sha256/<hex>; in-flight writes in <root>/ingest on the same filesystem.
// Ingest files of processes that died are removed on open.
class FileContentStore final : public ContentStore {
 public:
  static Result<std::unique_ptr<FileContentStore>> open(const std::string& root);
  bool has(const Digest& d) const override;
  Result<uint64_t> size(const Digest& d) const override;
  Result<std::string> read(const Digest& d) const override;
  Result<UniqueFd> open(const Digest& d) const override;
  Result<std::unique_ptr<ContentWriter>> writer() override;
  Result<> remove(const Digest& d) override;
  Result<std::vector<Digest>> list() const override;
  std::string blob_path(const Digest& d) const;
  const std::string& root() const { return root_; }

 private:
  explicit FileContentStore(std::string root) : root_(std::move(root)) {}
  std::string root_;
};

// Blobs in memory (memfd for open()); for tests and short-lived tools.
class MemoryContentStore final : public ContentStore {
 public:
  MemoryContentStore();
  ~MemoryContentStore() override;
  bool has(const Digest& d) const override;
  Result<uint64_t> size(const Digest& d) const override;
  Result<std::string> read(const Digest& d) const override;
  Result<UniqueFd> open(const Digest& d) const override;
  Result<std::unique_ptr<ContentWriter>> writer() override;
  Result<> remove(const Digest& d) override;
  Result<std::vector<Digest>> list() const override;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace berth::image
