// Builds layer tars in memory for tests, including hostile ones that no real tool would write.
#pragma once
#include <archive.h>
#include <archive_entry.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

namespace berth::image::test {

class TarBuilder {
 public:
  enum class Compression { None, Gzip, Zstd };
  explicit TarBuilder(Compression c = Compression::None) {
    a_ = archive_write_new();
    archive_write_set_format_pax_restricted(a_);
    if (c == Compression::Gzip) archive_write_add_filter_gzip(a_);
    if (c == Compression::Zstd) archive_write_add_filter_zstd(a_);
    archive_write_set_bytes_in_last_block(a_, 1);
    archive_write_open(a_, &out_, nullptr, &TarBuilder::write_cb, nullptr);
  }
  ~TarBuilder() {
    if (a_) archive_write_free(a_);
  }
  TarBuilder& file(const std::string& name, const std::string& data, int mode = 0644, int uid = 0, int gid = 0,
                   std::map<std::string, std::string> xattrs = {}) {
    auto* e = base(name, AE_IFREG, mode, uid, gid);
    archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    for (auto& [k, v] : xattrs) archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
    archive_write_header(a_, e);
    archive_write_data(a_, data.data(), data.size());
    archive_entry_free(e);
    return *this;
  }
  TarBuilder& dir(const std::string& name, int mode = 0755, int uid = 0, int gid = 0) {
    return simple(name, AE_IFDIR, mode, uid, gid);
  }
  TarBuilder& symlink(const std::string& name, const std::string& target) {
    auto* e = base(name, AE_IFLNK, 0777, 0, 0);
    archive_entry_set_symlink(e, target.c_str());
    archive_write_header(a_, e);
    archive_entry_free(e);
    return *this;
  }
  TarBuilder& hardlink(const std::string& name, const std::string& target) {
    auto* e = base(name, AE_IFREG, 0644, 0, 0);
    archive_entry_set_hardlink(e, target.c_str());
    archive_entry_set_size(e, 0);
    archive_write_header(a_, e);
    archive_entry_free(e);
    return *this;
  }
  TarBuilder& chardev(const std::string& name, int major, int minor) {
    auto* e = base(name, AE_IFCHR, 0666, 0, 0);
    archive_entry_set_rdevmajor(e, major);
    archive_entry_set_rdevminor(e, minor);
    archive_write_header(a_, e);
    archive_entry_free(e);
    return *this;
  }
  TarBuilder& fifo(const std::string& name) { return simple(name, AE_IFIFO, 0644, 0, 0); }
  std::string finish() {
    archive_write_close(a_);
    archive_write_free(a_);
    a_ = nullptr;
    return out_;
  }

 private:
  static la_ssize_t write_cb(archive*, void* ud, const void* buf, size_t n) {
    static_cast<std::string*>(ud)->append(static_cast<const char*>(buf), n);
    return static_cast<la_ssize_t>(n);
  }
  archive_entry* base(const std::string& name, unsigned type, int mode, int uid, int gid) {
    auto* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, static_cast<mode_t>(mode));
    archive_entry_set_uid(e, uid);
    archive_entry_set_gid(e, gid);
    archive_entry_set_mtime(e, 1700000000, 0);
    return e;
  }
  TarBuilder& simple(const std::string& name, unsigned type, int mode, int uid, int gid) {
    auto* e = base(name, type, mode, uid, gid);
    archive_write_header(a_, e);
    archive_entry_free(e);
    return *this;
  }
  archive* a_;
  std::string out_;
};

// A memfd holding data, positioned at 0.
inline int memfd_of(const std::string& data) {
  int fd = memfd_create("layer", MFD_CLOEXEC);
  size_t off = 0;
  while (off < data.size()) off += static_cast<size_t>(::write(fd, data.data() + off, data.size() - off));
  lseek(fd, 0, SEEK_SET);
  return fd;
}

struct TmpDir {
  std::string path;
  TmpDir() {
    char t[] = "/tmp/berth-unit-XXXXXX";
    path = mkdtemp(t);
  }
  ~TmpDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace berth::image::test
