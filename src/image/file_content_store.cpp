#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <csignal>

#include "common/fs.hpp"
#include "image/content_store.hpp"

namespace berth::image {

namespace {

std::atomic<unsigned> ingest_counter{0};

Error digest_mismatch(const Digest& want, const Digest& got) {
  return make_error(ErrorKind::Invalid, "digest mismatch: expected " + want.str() + ", got " + got.str());
}

class FileWriter final : public ContentWriter {
 public:
  FileWriter(std::string tmp, UniqueFd fd, std::string blobs_dir)
      : tmp_(std::move(tmp)), fd_(std::move(fd)), blobs_(std::move(blobs_dir)) {}
  ~FileWriter() override {
    if (!tmp_.empty()) unlink(tmp_.c_str());
  }

  // Small network reads are gathered into one larger write.
  Result<> write(std::string_view data) override {
    hash_.update(data);
    written_ += data.size();
    if (buf_.size() + data.size() < kBuffer) {
      buf_.append(data);
      return {};
    }
    BERTH_CHECK(flush_buffer(), "");
    if (data.size() >= kBuffer) return write_all(data);
    buf_.append(data);
    return {};
  }

  uint64_t written() const override { return written_; }

  Result<Digest> commit(const std::optional<Digest>& expected, std::optional<uint64_t> expected_size) override {
    if (tmp_.empty()) return fail(ErrorKind::Invalid, "content writer already committed");
    if (expected_size && *expected_size != written_)
      return fail(ErrorKind::Invalid, "size mismatch" + (expected ? " for " + expected->str() : std::string()) +
                                          ": expected " + std::to_string(*expected_size) + " bytes, got " +
                                          std::to_string(written_));
    Digest got = hash_.finish();
    if (expected && *expected != got) return fail(digest_mismatch(*expected, got));
    BERTH_CHECK(flush_buffer(), "");
    if (fsync(fd_.get()) != 0) return fail_sys("fsync " + tmp_);
    fchmod(fd_.get(), 0444);
    fd_.reset();
    std::string dst = blobs_ + "/" + got.hex();
    // rename over an existing blob is harmless: the bytes are identical by construction.
    if (rename(tmp_.c_str(), dst.c_str()) != 0) return fail_sys("commit blob " + got.str());
    tmp_.clear();
    return got;
  }

 private:
  Result<> flush_buffer() {
    if (buf_.empty()) return {};
    BERTH_CHECK(write_all(buf_), "");
    buf_.clear();
    return {};
  }

  Result<> write_all(std::string_view data) {
    const char* p = data.data();
    size_t left = data.size();
    while (left > 0) {
      ssize_t n = ::write(fd_.get(), p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        return fail_sys("write " + tmp_);
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
    on_disk_ += data.size();
    // Start writeback as data arrives, so the fsync at commit has little left to wait for.
    if (on_disk_ - flushed_ >= kFlushStep) {
      sync_file_range(fd_.get(), static_cast<off_t>(flushed_), static_cast<off_t>(on_disk_ - flushed_),
                      SYNC_FILE_RANGE_WRITE);
      flushed_ = on_disk_;
    }
    return {};
  }

  std::string tmp_;
  UniqueFd fd_;
  std::string blobs_;
  Sha256 hash_;
  uint64_t written_ = 0;
  uint64_t on_disk_ = 0;
  uint64_t flushed_ = 0;
  std::string buf_;
  static constexpr size_t kBuffer = 1u << 20;
  static constexpr uint64_t kFlushStep = 4u << 20;
};

// Ingest files are named "<pid>-<n>"; remove those whose writer process is gone.
void clean_stale_ingest(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  while (auto* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    pid_t pid = static_cast<pid_t>(atoi(name.c_str()));
    if (pid > 0 && (kill(pid, 0) == 0 || errno == EPERM) && pid != 0) continue;
    unlinkat(dirfd(d), name.c_str(), 0);
  }
  closedir(d);
}

}  // namespace

Result<std::unique_ptr<FileContentStore>> FileContentStore::open(const std::string& root) {
  BERTH_CHECK(mkdir_p(root + "/blobs/sha256", 0700), "open content store");
  BERTH_CHECK(mkdir_p(root + "/ingest", 0700), "open content store");
  clean_stale_ingest(root + "/ingest");
  return std::unique_ptr<FileContentStore>(new FileContentStore(root));
}

std::string FileContentStore::blob_path(const Digest& d) const { return root_ + "/blobs/sha256/" + d.hex(); }

bool FileContentStore::has(const Digest& d) const { return access(blob_path(d).c_str(), F_OK) == 0; }

Result<uint64_t> FileContentStore::size(const Digest& d) const {
  struct stat st;
  if (stat(blob_path(d).c_str(), &st) != 0) {
    if (errno == ENOENT) return fail(ErrorKind::NotFound, "blob " + d.str() + ": not found");
    return fail_sys("stat blob " + d.str());
  }
  return static_cast<uint64_t>(st.st_size);
}

Result<std::string> FileContentStore::read(const Digest& d) const {
  if (!has(d)) return fail(ErrorKind::NotFound, "blob " + d.str() + ": not found");
  return berth::read_file(blob_path(d));
}

Result<UniqueFd> FileContentStore::open(const Digest& d) const {
  int fd = ::open(blob_path(d).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return fail(ErrorKind::NotFound, "blob " + d.str() + ": not found");
    return fail_sys("open blob " + d.str());
  }
  return UniqueFd(fd);
}

Result<std::unique_ptr<ContentWriter>> FileContentStore::writer() {
  std::string tmp = root_ + "/ingest/" + std::to_string(getpid()) + "-" + std::to_string(ingest_counter++);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return fail_sys("create ingest file " + tmp);
  return std::unique_ptr<ContentWriter>(new FileWriter(tmp, UniqueFd(fd), root_ + "/blobs/sha256"));
}

Result<> FileContentStore::remove(const Digest& d) {
  if (unlink(blob_path(d).c_str()) != 0) {
    if (errno == ENOENT) return fail(ErrorKind::NotFound, "blob " + d.str() + ": not found");
    return fail_sys("remove blob " + d.str());
  }
  return {};
}

Result<std::vector<Digest>> FileContentStore::list() const {
  std::vector<Digest> out;
  DIR* dir = opendir((root_ + "/blobs/sha256").c_str());
  if (!dir) return fail_sys("list blobs");
  while (auto* e = readdir(dir)) {
    auto d = Digest::parse(std::string("sha256:") + e->d_name);
    if (d) out.push_back(*d);
  }
  closedir(dir);
  return out;
}

}  // namespace berth::image
