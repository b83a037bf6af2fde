// `docker save` archives from Debian's dockerd load into berth with the same image ID, and
// berth's save output loads back into that dockerd with the same image ID.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/fd.hpp"
#include "image/archive.hpp"
#include "support/support.hpp"

using namespace berth::image;
namespace fs = std::filesystem;
using berth::test::run;
using berth::test::TempDir;

namespace {

// A private dockerd: its own data root, exec root, pid file and socket; no network setup.
class Dockerd {
 public:
  explicit Dockerd(const std::string& dir) : dir_(dir), sock_("unix://" + dir + "/docker.sock") {
    // dockerd makes these under /run whatever its exec root; remove them again if we caused them.
    for (const char* d : {"/run/docker", "/run/docker/plugins", "/run/containerd", "/run/containerd/s",
                          "/run/containerd/fifo"})
      if (access(d, F_OK) != 0) strays_.push_back(d);
    fs::create_directories(dir + "/data");
    fs::create_directories(dir + "/exec");
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);
      int log = open((dir + "/dockerd.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(log, 1);
      dup2(log, 2);
      prctl(PR_SET_PDEATHSIG, SIGTERM);  // a crashed test takes its peer with it
      execlp("dockerd", "dockerd", "--data-root", (dir + "/data").c_str(), "--exec-root", (dir + "/exec").c_str(),
             "--pidfile", (dir + "/dockerd.pid").c_str(), "-H", sock_.c_str(), "--iptables=false",
             "--ip6tables=false", "--bridge=none", "--storage-driver=vfs", nullptr);
      _exit(127);
    }
    ready_ = berth::test::wait_until([&] { return docker({"version"}).status == 0; }, std::chrono::seconds(60),
                                     std::chrono::milliseconds(200));
  }
  ~Dockerd() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    bool gone = berth::test::wait_until(
        [&] { return waitpid(pid_, nullptr, WNOHANG) == pid_; }, std::chrono::seconds(30));
    if (!gone) {
      kill(-pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    // Its managed containerd, if still there, is in our process group.
    kill(-pid_, SIGKILL);
    for (auto it = strays_.rbegin(); it != strays_.rend(); ++it) rmdir(it->c_str());
  }
  bool ready() const { return ready_; }
  std::string log() const { return berth::test::read_text(dir_ + "/dockerd.log"); }
  berth::test::CmdResult docker(std::vector<std::string> args) const {
    args.insert(args.begin(), {"docker", "-H", sock_});
    return run(args, "", std::chrono::seconds(120));
  }
  std::string image_id(const std::string& name) const {
    auto r = docker({"image", "inspect", "-f", "{{.Id}}", name});
    return r.status == 0 ? r.out.substr(0, r.out.find('\n')) : "";
  }

 private:
  std::string dir_, sock_;
  std::vector<std::string> strays_;
  pid_t pid_ = -1;
  bool ready_ = false;
};

berth::Result<LoadResult> load_file(ImageService& svc, const std::string& file) {
  berth::UniqueFd fd(open(file.c_str(), O_RDONLY | O_CLOEXEC));
  return load_archive(svc, fd.get());
}

void save_file(ImageService& svc, const std::vector<std::string>& names, ArchiveFormat f, const std::string& file) {
  std::ofstream out(file, std::ios::binary);
  auto r = save_archive(svc, names, f, [&](std::string_view d) -> berth::Result<> {
    out.write(d.data(), static_cast<std::streamsize>(d.size()));
    return {};
  });
  ASSERT_TRUE(r) << r.error().what();
}

}  // namespace

TEST(DockerdRoundTrip, DockerSaveLoadsIntoBerthAndBack) {
  if (!berth::test::have_program("dockerd") || !berth::test::have_program("docker"))
    GTEST_SKIP() << "dockerd/docker (package docker.io) not installed";
  TempDir tmp{"berth-dockerd"};
  std::string rootfs = tmp / "rootfs";
  berth::test::make_busybox_rootfs(rootfs);
  ASSERT_EQ(run({"tar", "-C", rootfs, "-cf", tmp / "rootfs.tar", "."}).status, 0);
  Dockerd d(tmp / "docker");
  ASSERT_TRUE(d.ready()) << "dockerd did not come up:\n" << d.log();

  auto imp = d.docker({"import", tmp / "rootfs.tar", "berthtest/busybox:1"});
  ASSERT_EQ(imp.status, 0) << imp.err;
  std::string docker_id = d.image_id("berthtest/busybox:1");
  ASSERT_EQ(docker_id.rfind("sha256:", 0), 0u) << docker_id;
  auto save = d.docker({"save", "-o", tmp / "docker.tar", "berthtest/busybox:1"});
  ASSERT_EQ(save.status, 0) << save.err;

  // docker save -> berth load: same image ID, tag, files.
  auto svc = *ImageService::open(tmp / "berth");
  auto loaded = load_file(*svc, tmp / "docker.tar");
  ASSERT_TRUE(loaded) << loaded.error().what();
  ASSERT_EQ(loaded->images.size(), 1u);
  EXPECT_EQ(loaded->images[0].id.str(), docker_id);
  EXPECT_EQ(loaded->tags, std::vector<std::string>{"berthtest/busybox:1"});
  auto layer = *svc->snapshotter().layer_dir(loaded->images[0].layers[0].chain_id);
  EXPECT_TRUE(fs::exists(layer + "/bin/busybox"));

  // Two images that share a layer, saved together (docker links the shared layer.tar).
  fs::create_directories(tmp / "ctx");
  berth::test::write_text(tmp / "ctx/Dockerfile", "FROM berthtest/busybox:1\nCOPY hello /hello\n");
  berth::test::write_text(tmp / "ctx/hello", "from docker build\n");
  auto build = run({"env", "DOCKER_BUILDKIT=0", "docker", "-H", "unix://" + (tmp / "docker") + "/docker.sock", "build",
                    "-q", "-t", "berthtest/child:1", tmp / "ctx"},
                   "", std::chrono::seconds(120));
  ASSERT_EQ(build.status, 0) << build.err;
  std::string child_id = d.image_id("berthtest/child:1");
  ASSERT_EQ(d.docker({"save", "-o", tmp / "both.tar", "berthtest/busybox:1", "berthtest/child:1"}).status, 0);
  auto svc2 = *ImageService::open(tmp / "berth2");
  auto both = load_file(*svc2, tmp / "both.tar");
  ASSERT_TRUE(both) << both.error().what();
  ASSERT_EQ(both->images.size(), 2u);
  auto child = svc2->inspect("berthtest/child:1");
  ASSERT_TRUE(child);
  EXPECT_EQ(child->id.str(), child_id);
  ASSERT_EQ(child->layers.size(), 2u);
  EXPECT_EQ(child->layers[0].chain_id, loaded->images[0].layers[0].chain_id);
  EXPECT_EQ(svc2->snapshotter().layers()->size(), 2u);  // the shared base is unpacked once
  EXPECT_EQ(berth::test::read_text(*svc2->snapshotter().layer_dir(child->layers[1].chain_id) + "/hello"),
            "from docker build\n");
  ASSERT_EQ(d.docker({"rmi", "berthtest/child:1"}).status, 0);

  // berth save -> docker load, after docker forgot the image: same ID again.
  ASSERT_TRUE(svc->tag("berthtest/busybox:1", "berthtest/back:2"));
  save_file(*svc, {"berthtest/back:2"}, ArchiveFormat::DockerArchive, tmp / "berth.tar");
  ASSERT_EQ(d.docker({"rmi", "berthtest/busybox:1"}).status, 0);
  ASSERT_EQ(d.image_id(docker_id), "");
  auto ld = d.docker({"load", "-i", tmp / "berth.tar"});
  ASSERT_EQ(ld.status, 0) << ld.err;
  EXPECT_NE(ld.out.find("berthtest/back:2"), std::string::npos) << ld.out;
  EXPECT_EQ(d.image_id("berthtest/back:2"), docker_id);

  // An image berth built itself (import + commit, two layers), through the OCI layout (which
  // carries a manifest.json for docker's loader).
  auto base = svc->import(rootfs, {.tag = "berthtest/own:base", .message = "", .platform = {}});
  ASSERT_TRUE(base);
  ASSERT_TRUE(svc->create_rootfs("c", "berthtest/own:base"));
  berth::test::write_text(*svc->snapshotter().upper_dir("c") + "/made-by-berth", "yes");
  auto own = svc->commit("c", {.tag = "berthtest/own:1", .comment = "", .author = "", .created_by = ""});
  ASSERT_TRUE(own) << own.error().what();
  save_file(*svc, {"berthtest/own:1"}, ArchiveFormat::OciLayout, tmp / "own.tar");
  ld = d.docker({"load", "-i", tmp / "own.tar"});
  ASSERT_EQ(ld.status, 0) << ld.err;
  EXPECT_EQ(d.image_id("berthtest/own:1"), own->id.str());
  auto hist = d.docker({"history", "--no-trunc", "-q", "berthtest/own:1"});
  EXPECT_EQ(hist.status, 0) << hist.err;
}
