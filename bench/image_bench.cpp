// Drives the image library for bench/image.sh: pull, push, load, save, and building a
// multi-layer test image. Prints errors once, exits non-zero on failure.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "common/fd.hpp"
#include "image/archive.hpp"
#include "image/distribution.hpp"

using namespace berth::image;

namespace {

int usage() {
  fprintf(stderr,
          "usage: berth-image-bench pull <root> <ref> [parallel]\n"
          "       berth-image-bench push <root> <image> <target>\n"
          "       berth-image-bench load <root> <archive>\n"
          "       berth-image-bench save <root> <image> <file> [oci]\n"
          "       berth-image-bench build <root> <rootfs-dir> <tag> <extra-layers> <MiB-per-layer>\n");
  return 2;
}

int die(const berth::Error& e) {
  fprintf(stderr, "error: %s\n", e.what().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage();
  std::string cmd = argv[1];
  auto svc = ImageService::open(argv[2]);
  if (!svc) return die(svc.error());
  ImageService& s = **svc;
  if (cmd == "pull" && argc >= 4) {
    PullOptions o;
    if (argc >= 5) o.parallel = atoi(argv[4]);
    auto r = pull_image(s, argv[3], o);
    if (!r) return die(r.error());
    printf("%s\n", r->id.str().c_str());
  } else if (cmd == "push" && argc >= 5) {
    auto r = push_image(s, argv[3], argv[4]);
    if (!r) return die(r.error());
    printf("%s\n", r->str().c_str());
  } else if (cmd == "load" && argc >= 4) {
    berth::UniqueFd fd(open(argv[3], O_RDONLY | O_CLOEXEC));
    if (!fd) return die(berth::sys_error(std::string("open ") + argv[3]));
    auto r = load_archive(s, fd.get());
    if (!r) return die(r.error());
    for (auto& t : r->tags) printf("Loaded image: %s\n", t.c_str());
  } else if (cmd == "save" && argc >= 5) {
    FILE* f = fopen(argv[4], "w");
    if (!f) return die(berth::sys_error(std::string("open ") + argv[4]));
    auto fmt = argc >= 6 && std::string(argv[5]) == "oci" ? ArchiveFormat::OciLayout : ArchiveFormat::DockerArchive;
    auto r = save_archive(s, {argv[3]}, fmt, [&](std::string_view d) -> berth::Result<> {
      if (fwrite(d.data(), 1, d.size(), f) != d.size()) return berth::fail_sys("write");
      return {};
    });
    if (fclose(f) != 0 && r) return die(berth::sys_error("close"));
    if (!r) return die(r.error());
  } else if (cmd == "build" && argc >= 7) {
    std::string tag = argv[4];
    int layers = atoi(argv[5]);
    size_t mib = static_cast<size_t>(atoi(argv[6]));
    auto base = s.import(argv[3], {.tag = tag + "-base", .message = "", .platform = {}});
    if (!base) return die(base.error());
    std::string prev = tag + "-base";
    std::mt19937_64 g(42);
    for (int i = 0; i < layers; ++i) {
      std::string key = "bench-build-" + std::to_string(i);
      if (auto r = s.create_rootfs(key, prev); !r) return die(r.error());
      std::string upper = *s.snapshotter().upper_dir(key);
      std::ofstream out(upper + "/layer" + std::to_string(i) + ".bin", std::ios::binary);
      std::vector<uint64_t> buf(1 << 17);
      for (size_t m = 0; m < mib; ++m) {
        for (auto& x : buf) x = g();
        out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(buf.size() * 8));
      }
      out.close();
      prev = i + 1 == layers ? tag : tag + "-" + std::to_string(i);
      auto c = s.commit(key, {.tag = prev, .comment = "", .author = "", .created_by = ""});
      if (!c) return die(c.error());
      (void)s.remove_rootfs(key);
    }
    printf("%s\n", s.resolve(tag)->str().c_str());
  } else {
    return usage();
  }
  return 0;
}
