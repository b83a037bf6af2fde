#include <sys/mman.h>
#include <unistd.h>

#include <map>
#include <mutex>

#include "image/content_store.hpp"

namespace berth::image {

struct MemoryContentStore::State {
  mutable std::mutex mu;
  std::map<Digest, std::string> blobs;
};

namespace {

class MemWriter final : public ContentWriter {
 public:
  explicit MemWriter(std::shared_ptr<MemoryContentStore::State> s) : state_(std::move(s)) {}
  Result<> write(std::string_view data) override {
    buf_.append(data);
    return {};
  }
  uint64_t written() const override { return buf_.size(); }
  Result<Digest> commit(const std::optional<Digest>& expected, std::optional<uint64_t> expected_size) override {
    if (done_) return fail(ErrorKind::Invalid, "content writer already committed");
    if (expected_size && *expected_size != buf_.size())
      return fail(ErrorKind::Invalid, "size mismatch: expected " + std::to_string(*expected_size) + " bytes, got " +
                                          std::to_string(buf_.size()));
    Digest got = Digest::of(buf_);
    if (expected && *expected != got)
      return fail(ErrorKind::Invalid, "digest mismatch: expected " + expected->str() + ", got " + got.str());
    std::lock_guard lk(state_->mu);
    state_->blobs.emplace(got, std::move(buf_));
    done_ = true;
    return got;
  }

 private:
  std::shared_ptr<MemoryContentStore::State> state_;
  std::string buf_;
  bool done_ = false;
};

}  // namespace

MemoryContentStore::MemoryContentStore() : state_(std::make_shared<State>()) {}
MemoryContentStore::~MemoryContentStore() = default;

bool MemoryContentStore::has(const Digest& d) const {
  std::lock_guard lk(state_->mu);
  return state_->blobs.count(d) > 0;
}

Result<uint64_t> MemoryContentStore::size(const Digest& d) const {
  std::lock_guard lk(state_->mu);
  auto it = state_->blobs.find(d);
  if (it == state_->blobs.end()) return fail(ErrorKind::NotFound, "blob " + d.str() + ": not found");
  return it->second.size();
}

Result<std::string> MemoryContentStore::read(const Digest& d) const {
  std::lock_guard lk(state_->mu);
  auto it = state_->blobs.find(d);
  if (it == state_->blobs.end()) return fail(ErrorKind::NotFound, "blob " + d.str() + ": not found");
  return it->second;
}

Result<UniqueFd> MemoryContentStore::open(const Digest& d) const {
  auto data = BERTH_TRY(read(d), "open blob");
  UniqueFd fd(memfd_create("blob", MFD_CLOEXEC));
  if (!fd) return fail_sys("memfd_create");
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd.get(), data.data() + off, data.size() - off);
    if (n < 0) return fail_sys("write memfd");
    off += static_cast<size_t>(n);
  }
  lseek(fd.get(), 0, SEEK_SET);
  return fd;
}

Result<std::unique_ptr<ContentWriter>> MemoryContentStore::writer() {
  return std::unique_ptr<ContentWriter>(new MemWriter(state_));
}

Result<> MemoryContentStore::remove(const Digest& d) {
  std::lock_guard lk(state_->mu);
  if (state_->blobs.erase(d) == 0) return fail(ErrorKind::NotFound, "blob " + d.str() + ": not found");
  return {};
}

Result<std::vector<Digest>> MemoryContentStore::list() const {
  std::lock_guard lk(state_->mu);
  std::vector<Digest> out;
  for (auto& [d, _] : state_->blobs) out.push_back(d);
  return out;
}

}  // namespace berth::image
