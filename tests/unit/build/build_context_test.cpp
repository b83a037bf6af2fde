#include "engine/build/build_context.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include "../image/tar_builder.hpp"
#include "common/fd.hpp"
#include "engine/build/copy_sources.hpp"

using namespace berth::engine::build;
using berth::UniqueFd;
using berth::image::test::TarBuilder;
namespace fs = std::filesystem;

namespace {

std::string slurp(const std::string& p) {
  std::ifstream f(p);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void write_file(const std::string& p, const std::string& data, mode_t mode = 0644) {
  fs::create_directories(fs::path(p).parent_path());
  std::ofstream(p) << data;
  ::chmod(p.c_str(), mode);
}

// A context directory inside a sandbox, with a file outside it that must stay untouched.
struct Sandbox {
  berth::image::test::TmpDir tmp;
  std::string ctx = tmp.path + "/ctx";
  std::string outside = tmp.path + "/outside";
  Sandbox() {
    fs::create_directories(ctx);
    write_file(outside + "/secret", "keep");
  }
  void expect_outside_untouched() {
    EXPECT_EQ(slurp(outside + "/secret"), "keep");
    EXPECT_EQ(std::distance(fs::directory_iterator(outside), {}), 1);
    EXPECT_EQ(std::distance(fs::directory_iterator(tmp.path), {}), 2) << "something was created next to the context";
  }
};

}  // namespace

TEST(BuildContext, ExtractsAPlainTarFromAStream) {
  Sandbox s;
  std::string tar = TarBuilder().dir("src", 0750).file("src/main.sh", "echo hi\n", 0755).file("Dockerfile", "FROM x\n")
                        .symlink("src/link", "main.sh").finish();
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  UniqueFd rd(p[0]), wr(p[1]);
  std::thread writer([&] {
    size_t off = 0;
    while (off < tar.size()) {
      ssize_t n = ::write(wr.get(), tar.data() + off, std::min<size_t>(tar.size() - off, 777));
      if (n <= 0) break;
      off += size_t(n);
    }
    wr.reset();
  });
  auto r = extract_context(rd.get(), s.ctx);
  writer.join();
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(slurp(s.ctx + "/src/main.sh"), "echo hi\n");
  EXPECT_EQ(fs::status(s.ctx + "/src/main.sh").permissions(), fs::perms(0755));
  EXPECT_EQ(fs::status(s.ctx + "/src").permissions(), fs::perms(0750));
  EXPECT_EQ(fs::read_symlink(s.ctx + "/src/link"), "main.sh");
}

TEST(BuildContext, ExtractsGzip) {
  Sandbox s;
  std::string tgz = TarBuilder(TarBuilder::Compression::Gzip).file("Dockerfile", "FROM busybox\n").finish();
  ASSERT_EQ(tgz.substr(0, 2), "\x1f\x8b");
  UniqueFd fd(berth::image::test::memfd_of(tgz));
  ASSERT_TRUE(extract_context(fd.get(), s.ctx));
  EXPECT_EQ(slurp(s.ctx + "/Dockerfile"), "FROM busybox\n");
}

TEST(BuildContext, HostileTarsAreRefused) {
  struct Case {
    const char* what;
    std::string tar;
  } cases[] = {
      {"dotdot", TarBuilder().file("../outside/secret", "pwned").finish()},
      {"dotdot inside", TarBuilder().file("a/../../outside/secret", "pwned").finish()},
      {"absolute", TarBuilder().file("/tmp/berth-pwned", "pwned").finish()},
      {"symlink escape", TarBuilder().symlink("link", "../outside").file("link/secret", "pwned").finish()},
      {"absolute symlink", TarBuilder().symlink("link", "/").file("link/tmp/berth-pwned", "pwned").finish()},
      {"hardlink out", TarBuilder().hardlink("h", "../outside/secret").finish()},
      {"whiteout", TarBuilder().file(".wh.x", "").finish()},
  };
  for (auto& c : cases) {
    Sandbox s;
    UniqueFd fd(berth::image::test::memfd_of(c.tar));
    auto r = extract_context(fd.get(), s.ctx);
    EXPECT_FALSE(r) << c.what;
    if (!r) {
      EXPECT_TRUE(r.error().message.starts_with("read build context")) << r.error().message;
    }
    s.expect_outside_untouched();
    EXPECT_FALSE(fs::exists("/tmp/berth-pwned"));
  }
}

TEST(BuildContext, TakeDockerfileDropsIgnoredBuildFiles) {
  Sandbox s;
  write_file(s.ctx + "/Dockerfile", "FROM a\n");
  write_file(s.ctx + "/.dockerignore", "Dockerfile\n.dockerignore\n*.tmp\n");
  write_file(s.ctx + "/docker/Dev.Dockerfile", "FROM dev\n");
  write_file(s.ctx + "/keep.txt", "k");
  auto df = take_dockerfile(s.ctx, "");
  ASSERT_TRUE(df) << df.error().what();
  EXPECT_EQ(*df, "FROM a\n");
  EXPECT_FALSE(fs::exists(s.ctx + "/Dockerfile"));  // COPY . cannot see them now
  EXPECT_FALSE(fs::exists(s.ctx + "/.dockerignore"));
  EXPECT_TRUE(fs::exists(s.ctx + "/keep.txt"));
  // Not excluded: it stays.
  df = take_dockerfile(s.ctx, "./docker/Dev.Dockerfile");
  ASSERT_TRUE(df);
  EXPECT_EQ(*df, "FROM dev\n");
  EXPECT_TRUE(fs::exists(s.ctx + "/docker/Dev.Dockerfile"));
}

TEST(BuildContext, TakeDockerfileErrors) {
  Sandbox s;
  auto r = take_dockerfile(s.ctx, "");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "Cannot locate specified Dockerfile: Dockerfile");
  r = take_dockerfile(s.ctx, "../outside/secret");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "the Dockerfile (../outside/secret) must be within the build context");
  fs::create_symlink("../outside/secret", s.ctx + "/Dockerfile");
  r = take_dockerfile(s.ctx, "Dockerfile");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("escapes the root"), std::string::npos) << r.error().message;
  write_file(s.ctx + "/D2", "FROM x\n");
  write_file(s.ctx + "/.dockerignore", "[bad\n");
  r = take_dockerfile(s.ctx, "D2");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "error reading .dockerignore: .dockerignore line 1: syntax error in pattern \"[bad\"");
}

namespace {

// The copy-source tests' context: files, a directory tree, symlinks in and out.
struct CopyContext : Sandbox {
  UniqueFd root;
  CopyContext() {
    write_file(ctx + "/a.txt", "A");
    write_file(ctx + "/b.txt", "B", 0600);
    write_file(ctx + "/dir/x.c", "int x;", 0640);
    write_file(ctx + "/dir/sub/y.c", "int y;");
    ::chmod((ctx + "/dir").c_str(), 0750);
    fs::create_symlink("x.c", ctx + "/dir/link");
    fs::create_symlink("a.txt", ctx + "/link_a");
    fs::create_symlink("/etc", ctx + "/abs");
    fs::create_symlink("../outside", ctx + "/esc");
    root = UniqueFd(::open(ctx.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  }
  berth::Result<CopySources> copy(std::vector<std::string> srcs, std::string_view dest, std::string_view workdir = "/") {
    return resolve_copy_sources(root.get(), srcs, dest, workdir);
  }
  std::vector<std::string> dests(std::vector<std::string> srcs, std::string_view dest, std::string_view workdir = "/") {
    auto r = copy(std::move(srcs), dest, workdir);
    EXPECT_TRUE(r) << r.error().what();
    std::vector<std::string> out;
    if (r) {
      for (auto& e : r->entries) out.push_back(e.dest);
    }
    return out;
  }
};

}  // namespace

TEST(CopySources, FilesAndTrailingSlashRules) {
  CopyContext c;
  EXPECT_EQ(c.dests({"a.txt"}, "/dst"), std::vector<std::string>{"/dst"});
  EXPECT_EQ(c.dests({"a.txt"}, "/dst/"), std::vector<std::string>{"/dst/a.txt"});
  EXPECT_EQ(c.dests({"/a.txt"}, "rel/", "/w"), std::vector<std::string>{"/w/rel/a.txt"});
  EXPECT_EQ(c.dests({"./a.txt"}, ".", "/app"), std::vector<std::string>{"/app/a.txt"});
  EXPECT_EQ(c.dests({"a.txt", "b.txt"}, "/d/"), (std::vector<std::string>{"/d/a.txt", "/d/b.txt"}));
  auto r = c.copy({"a.txt", "b.txt"}, "/d");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "When using COPY with more than one source file, the destination must be a directory and end with a /");
  // A symlink source is followed (inside the context).
  r = c.copy({"link_a"}, "/x");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->entries.size(), 1u);
  EXPECT_EQ(r->entries[0].type, CopyEntry::File);
  EXPECT_EQ(r->entries[0].size, 1u);
}

TEST(CopySources, DirectoriesCopyTheirContents) {
  CopyContext c;
  auto r = c.copy({"dir"}, "/d");
  ASSERT_TRUE(r) << r.error().what();
  auto& e = r->entries;
  ASSERT_EQ(e.size(), 5u);
  EXPECT_EQ(e[0].dest, "/d");
  EXPECT_EQ(e[0].type, CopyEntry::Dir);
  EXPECT_EQ(e[0].mode, 0750u);
  EXPECT_EQ(e[1].dest, "/d/link");
  EXPECT_EQ(e[1].type, CopyEntry::Symlink);  // symlinks inside are copied, not followed
  EXPECT_EQ(e[1].link_target, "x.c");
  EXPECT_EQ(e[2].dest, "/d/sub");
  EXPECT_EQ(e[3].dest, "/d/sub/y.c");
  EXPECT_EQ(e[3].source, "dir/sub/y.c");
  EXPECT_EQ(e[4].dest, "/d/x.c");
  EXPECT_EQ(e[4].mode, 0640u);
  // The whole context into the WORKDIR.
  auto all = c.dests({"."}, ".", "/app");
  EXPECT_EQ(all.front(), "/app");
  EXPECT_NE(std::ranges::find(all, "/app/dir/sub/y.c"), all.end());
  EXPECT_NE(std::ranges::find(all, "/app/abs"), all.end());  // as a symlink, not followed
}

TEST(CopySources, Globs) {
  CopyContext c;
  EXPECT_EQ(c.dests({"*.txt"}, "/d/"), (std::vector<std::string>{"/d/a.txt", "/d/b.txt"}));
  EXPECT_EQ(c.dests({"dir/*.c"}, "/d/"), std::vector<std::string>{"/d/x.c"});
  EXPECT_EQ(c.dests({"?.txt"}, "/d/"), (std::vector<std::string>{"/d/a.txt", "/d/b.txt"}));
  EXPECT_EQ(c.dests({"[a]*"}, "/one"), std::vector<std::string>{"/one"});
  EXPECT_EQ(c.dests({"*/sub"}, "/s"), (std::vector<std::string>{"/s", "/s/y.c"}));
  auto r = c.copy({"nomatch*"}, "/d/");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "no source files were specified");
}

TEST(CopySources, OutsideTheContextIsRefused) {
  CopyContext c;
  for (const char* src : {"../outside/secret", "dir/../../outside/secret", ".."}) {
    auto r = c.copy({src}, "/x");
    ASSERT_FALSE(r) << src;
    EXPECT_EQ(r.error().message, std::string("forbidden path outside the build context: ") + src);
  }
  for (const char* src : {"esc/secret", "abs/passwd", "esc"}) {
    auto r = c.copy({src}, "/x");
    ASSERT_FALSE(r) << src;
    EXPECT_NE(r.error().message.find("escapes the root"), std::string::npos) << r.error().message;
  }
  auto g = c.copy({"es?"}, "/x/");  // a glob match that leads out is left out, never read
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().message, "no source files were specified");
  auto r = c.copy({"missing"}, "/x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "file not found in build context or excluded by .dockerignore: stat missing: file does not exist");
  EXPECT_EQ(*context_path("/a/./b"), "a/b");
  EXPECT_EQ(*context_path("/"), "");
  EXPECT_EQ(*context_path("a/../b"), "b");
}

TEST(CopySources, ChecksumCoversExactlyWhatIsRead) {
  CopyContext c;
  auto sum = [&](std::vector<std::string> srcs, std::string dest = "/d/") { return c.copy(std::move(srcs), dest)->checksum; };
  auto a = sum({"a.txt"});
  auto d = sum({"dir"});
  EXPECT_EQ(sum({"a.txt"}), a);  // stable
  write_file(c.ctx + "/b.txt", "changed", 0600);
  EXPECT_EQ(sum({"a.txt"}), a);  // a file not read does not matter
  EXPECT_NE(sum({"a.txt"}, "/e/"), a);  // where it lands does
  write_file(c.ctx + "/a.txt", "A2");
  auto a2 = sum({"a.txt"});
  EXPECT_NE(a2, a);
  ::chmod((c.ctx + "/a.txt").c_str(), 0600);
  auto a3 = sum({"a.txt"});
  EXPECT_NE(a3, a2);
  if (::geteuid() == 0) {  // the owner counts too
    ASSERT_EQ(::chown((c.ctx + "/a.txt").c_str(), 1234, 1234), 0);
    EXPECT_NE(sum({"a.txt"}), a3);
  }
  // Deep in a directory: content, a new file, a symlink's target.
  write_file(c.ctx + "/dir/sub/y.c", "int y2;");
  auto d2 = sum({"dir"});
  EXPECT_NE(d2, d);
  write_file(c.ctx + "/dir/sub/new.c", "");
  auto d3 = sum({"dir"});
  EXPECT_NE(d3, d2);
  fs::remove(c.ctx + "/dir/link");
  fs::create_symlink("sub/y.c", c.ctx + "/dir/link");
  EXPECT_NE(sum({"dir"}), d3);
}
