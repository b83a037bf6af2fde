// The compiled-program cache: hits only on an exact, untampered, private entry.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "runtime/seccomp/seccomp.hpp"

using berth::runtime::compile_seccomp;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

class SeccompCache : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-seccomp-cache-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = std::string(tmpl) + "/cache";
  }
  void TearDown() override {
    fs::remove_all(fs::path(dir_).parent_path());
  }
  static json profile(int errno_ret) {
    return {{"defaultAction", "SCMP_ACT_ALLOW"},
            {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}},
            {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", errno_ret}}}}};
  }
  bool hit(const json& p, bool cache = true) {
    auto f = compile_seccomp(p, cache ? dir_ : std::string());
    EXPECT_TRUE(f) << f.error().what();
    return f && f->from_cache();
  }
  std::string only_entry() {
    std::vector<std::string> files;
    for (auto& e : fs::directory_iterator(dir_)) files.push_back(e.path());
    EXPECT_EQ(files.size(), 1u);
    return files.empty() ? "" : files[0];
  }
  std::string dir_;
};

}  // namespace

TEST_F(SeccompCache, SecondCompileIsAHit) {
  EXPECT_FALSE(hit(profile(42)));
  EXPECT_TRUE(hit(profile(42)));
  struct stat st;
  ASSERT_EQ(stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(stat(only_entry().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(SeccompCache, DifferentProfileMisses) {
  EXPECT_FALSE(hit(profile(42)));
  EXPECT_FALSE(hit(profile(43)));  // only errnoRet differs
  EXPECT_TRUE(hit(profile(43)));
}

TEST_F(SeccompCache, ValidationStillRunsOnAHit) {
  EXPECT_FALSE(hit(profile(42)));
  json bad = profile(42);
  bad["listenerMetadata"] = "x";  // does not change the program, but is invalid
  auto f = compile_seccomp(bad, dir_);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().what(), "linux.seccomp.listenerMetadata: set without listenerPath");
}

TEST_F(SeccompCache, TamperedKeyIsIgnored) {
  EXPECT_FALSE(hit(profile(42)));
  std::string path = only_entry();
  std::stringstream ss;
  ss << std::ifstream(path).rdbuf();
  std::string data = ss.str();
  auto pos = data.find("libseccomp");
  ASSERT_NE(pos, std::string::npos);
  data[pos] = 'L';
  std::ofstream(path, std::ios::trunc) << data;
  EXPECT_FALSE(hit(profile(42)));
  EXPECT_TRUE(hit(profile(42)));  // rewritten
}

TEST_F(SeccompCache, TruncatedProgramIsIgnored) {
  EXPECT_FALSE(hit(profile(42)));
  std::string path = only_entry();
  auto size = fs::file_size(path);
  fs::resize_file(path, size - 8);  // one instruction less: a different, shorter filter
  EXPECT_FALSE(hit(profile(42)));
}

TEST_F(SeccompCache, SharedDirectoryIsNotTrusted) {
  EXPECT_FALSE(hit(profile(42)));
  ASSERT_EQ(chmod(dir_.c_str(), 0777), 0);
  EXPECT_FALSE(hit(profile(42)));
  ASSERT_EQ(chmod(dir_.c_str(), 0700), 0);
  ASSERT_EQ(chmod(only_entry().c_str(), 0666), 0);
  EXPECT_FALSE(hit(profile(42)));
}

TEST_F(SeccompCache, SymlinkedDirectoryIsNotFollowed) {
  std::string real = dir_ + "-real";
  ASSERT_EQ(mkdir(real.c_str(), 0700), 0);
  ASSERT_EQ(symlink(real.c_str(), dir_.c_str()), 0);
  EXPECT_FALSE(hit(profile(42)));
  EXPECT_FALSE(hit(profile(42)));
  EXPECT_TRUE(fs::is_empty(real));
}

TEST_F(SeccompCache, EmptyDirDisables) {
  EXPECT_FALSE(hit(profile(42), false));
  EXPECT_FALSE(hit(profile(42), false));
  EXPECT_FALSE(fs::exists(dir_));
}
