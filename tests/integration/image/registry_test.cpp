// Pull and push against Debian's docker-registry on 127.0.0.1, seeded and checked with skopeo;
// anonymous, htpasswd basic auth and bearer tokens; interrupted and corrupted transfers.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "image/archive.hpp"
#include "image/distribution.hpp"
#include "registry_fixture.hpp"

using namespace berth::image;
using namespace berth::image::test;
namespace fs = std::filesystem;
using berth::test::run;
using berth::test::TempDir;

namespace {

bool have_peers() {
  return berth::test::have_program("docker-registry") && berth::test::have_program("skopeo");
}
#define REQUIRE_PEERS() \
  if (!have_peers()) GTEST_SKIP() << "docker-registry or skopeo not installed"

std::string random_bytes(size_t n, unsigned seed) {
  std::mt19937 g(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(g());
  return s;
}

// A three-layer image built with berth (busybox + two layers of 1 MiB incompressible data),
// saved as a docker-archive for skopeo.
struct Seed {
  TempDir tmp{"berth-reg"};
  std::unique_ptr<ImageService> local;
  ImageRecord image;
  std::string archive = tmp / "seed.tar";
  Seed() {
    berth::test::make_busybox_rootfs(tmp / "rootfs");
    local = std::move(*ImageService::open(tmp / "local"));
    auto base = local->import(tmp / "rootfs", {.tag = "seed:base", .message = "", .platform = {}});
    EXPECT_TRUE(base);
    std::string prev = "seed:base";
    for (int i = 1; i <= 2; ++i) {
      std::string key = "c" + std::to_string(i);
      EXPECT_TRUE(local->create_rootfs(key, prev));
      auto upper = *local->snapshotter().upper_dir(key);
      berth::test::write_text(upper + "/data" + std::to_string(i), random_bytes(1 << 20, i));
      prev = "seed:" + std::to_string(i);
      auto c = local->commit(key, {.tag = prev, .comment = "", .author = "", .created_by = ""});
      EXPECT_TRUE(c) << c.error().what();
      image = *c;
      EXPECT_TRUE(local->remove_rootfs(key));
    }
    std::ofstream out(archive, std::ios::binary);
    EXPECT_TRUE(save_archive(*local, {"seed:2"}, ArchiveFormat::DockerArchive, [&](std::string_view d) -> berth::Result<> {
      out.write(d.data(), static_cast<std::streamsize>(d.size()));
      return {};
    }));
  }
  std::unique_ptr<ImageService> fresh(const std::string& name) { return std::move(*ImageService::open(tmp / name)); }
};

berth::test::CmdResult skopeo(std::vector<std::string> args) {
  args.insert(args.begin(), "skopeo");
  return run(args, "", std::chrono::seconds(180));
}

void seed_registry(const Seed& s, const std::string& dest, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"copy", "--dest-tls-verify=false"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back("docker-archive:" + s.archive);
  args.push_back("docker://" + dest);
  auto r = skopeo(args);
  ASSERT_EQ(r.status, 0) << r.err;
}

std::string remote_digest(const std::string& ref, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"inspect", "--tls-verify=false"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back("docker://" + ref);
  auto r = skopeo(args);
  EXPECT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  return j.is_object() ? j.value("Digest", "") : "";
}

void expect_files(ImageService& svc, const ImageRecord& img) {
  ASSERT_EQ(img.layers.size(), 3u);
  EXPECT_TRUE(fs::exists(*svc.snapshotter().layer_dir(img.layers[0].chain_id) + "/bin/busybox"));
  EXPECT_EQ(fs::file_size(*svc.snapshotter().layer_dir(img.layers[1].chain_id) + "/data1"), 1u << 20);
  EXPECT_EQ(fs::file_size(*svc.snapshotter().layer_dir(img.layers[2].chain_id) + "/data2"), 1u << 20);
}

size_t ingest_files(ImageService& svc) {
  return static_cast<size_t>(std::distance(fs::directory_iterator(svc.root() + "/content/ingest"), {}));
}

}  // namespace

TEST(Registry, PullsWhatSkopeoPushedByTagAndDigest) {
  REQUIRE_PEERS();
  Seed s;
  Registry reg(s.tmp / "registry");
  ASSERT_TRUE(reg.ready()) << reg.log();
  std::string ref = reg.host() + "/seed/busybox:1";
  seed_registry(s, ref);
  std::string digest = remote_digest(ref);
  ASSERT_EQ(digest.rfind("sha256:", 0), 0u);

  auto svc = s.fresh("pull");
  RegistryClient rc(reg.host(), {});
  ASSERT_TRUE(rc.ping());
  std::vector<std::string> lines;
  PullOptions po;
  po.progress = [&](const Progress& p) {
    lines.push_back(p.id + " " + p.status);
    return true;
  };
  auto img = pull_image(*svc, ref, po);
  ASSERT_TRUE(img) << img.error().what();
  EXPECT_EQ(img->id, s.image.id);  // skopeo kept the config, so the image ID is the same
  EXPECT_EQ(img->repo_tags, std::vector<std::string>{ref});
  EXPECT_EQ(img->repo_digests, std::vector<std::string>{reg.host() + "/seed/busybox@" + digest});
  EXPECT_EQ(img->manifest_digest.str(), digest);
  EXPECT_EQ(img->layers[1].media_type, media::docker_layer_gzip);  // skopeo compressed them
  expect_files(*svc, *img);
  EXPECT_EQ(ingest_files(*svc), 0u);
  size_t downloads = 0;
  for (auto& l : lines) downloads += l.find("Download complete") != std::string::npos;
  EXPECT_EQ(downloads, 4u);  // config + 3 layers

  // Again, by digest: nothing is downloaded twice.
  lines.clear();
  auto again = pull_image(*svc, reg.host() + "/seed/busybox@" + digest, po);
  ASSERT_TRUE(again) << again.error().what();
  EXPECT_EQ(again->id, img->id);
  for (auto& l : lines) EXPECT_EQ(l.find("Download complete"), std::string::npos) << l;

  // zstd layers in an OCI manifest, and a missing tag.
  std::string zref = reg.host() + "/seed/zstd:1";
  seed_registry(s, zref, {"--format", "oci", "--dest-compress-format", "zstd"});
  auto zsvc = s.fresh("pull-zstd");
  auto z = pull_image(*zsvc, zref);
  ASSERT_TRUE(z) << z.error().what();
  // skopeo rewrites the config when it converts to OCI; the layers' diff IDs stay.
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(z->layers[i].diff_id, s.image.layers[i].diff_id);
  EXPECT_EQ(z->manifest_media_type, media::oci_manifest);
  expect_files(*zsvc, *z);
  auto missing = pull_image(*svc, reg.host() + "/seed/busybox:nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, berth::ErrorKind::NotFound);
  EXPECT_NE(missing.error().message.find("MANIFEST_UNKNOWN"), std::string::npos) << missing.error().message;
}

TEST(Registry, PushedImagesPullBackWithSkopeo) {
  REQUIRE_PEERS();
  Seed s;
  Registry reg(s.tmp / "registry");
  ASSERT_TRUE(reg.ready()) << reg.log();
  // Monolithic upload.
  std::string ref = reg.host() + "/berth/pushed:1";
  auto d = push_image(*s.local, "seed:2", ref);
  ASSERT_TRUE(d) << d.error().what();
  EXPECT_EQ(remote_digest(ref), d->str());
  auto cp = skopeo({"copy", "--src-tls-verify=false", "docker://" + ref, "oci:" + (s.tmp / "back") + ":x"});
  ASSERT_EQ(cp.status, 0) << cp.err;
  auto back = s.fresh("back");
  auto lr = load_oci_layout_dir(*back, s.tmp / "back");
  ASSERT_TRUE(lr) << lr.error().what();
  EXPECT_EQ(lr->images[0].id, s.image.id);
  expect_files(*back, lr->images[0]);

  // Chunked upload into another repository.
  PushOptions chunked;
  chunked.registry.chunk_size = 100003;  // not a multiple of any buffer size
  std::string cref = reg.host() + "/berth/chunked:1";
  auto cd = push_image(*s.local, "seed:2", cref, chunked);
  ASSERT_TRUE(cd) << cd.error().what();
  EXPECT_EQ(remote_digest(cref), cd->str());
  auto chk = skopeo({"copy", "--src-tls-verify=false", "docker://" + cref, "oci:" + (s.tmp / "back2") + ":x"});
  ASSERT_EQ(chk.status, 0) << chk.err;

  // A third repository: the blobs are mounted from one we pushed to, not uploaded again.
  std::vector<std::string> statuses;
  PushOptions mo;
  mo.progress = [&](const Progress& p) {
    statuses.push_back(p.status);
    return true;
  };
  auto md = push_image(*s.local, "seed:2", reg.host() + "/other/mounted:1", mo);
  ASSERT_TRUE(md) << md.error().what();
  size_t mounted = 0, pushed = 0;
  for (auto& st : statuses) {
    mounted += st.rfind("Mounted from", 0) == 0;
    pushed += st == "Pushed";
  }
  EXPECT_EQ(mounted, 4u);
  EXPECT_EQ(pushed, 0u);
  EXPECT_EQ(remote_digest(reg.host() + "/other/mounted:1"), md->str());
  // Pushing again finds everything there.
  statuses.clear();
  ASSERT_TRUE(push_image(*s.local, "seed:2", ref, mo));
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), "Layer already exists"), 4);
}

TEST(Registry, InterruptedPullLeavesNoPartialBlobAndNextPullFinishes) {
  REQUIRE_PEERS();
  Seed s;
  Registry reg(s.tmp / "registry");
  ASSERT_TRUE(reg.ready()) << reg.log();
  std::string ref = reg.host() + "/seed/busybox:1";
  seed_registry(s, ref);
  auto svc = s.fresh("pull");
  PullOptions po;
  po.parallel = 1;
  std::string cut;
  po.progress = [&](const Progress& p) {
    // Stop in the middle of the first blob that is big enough to be mid-transfer.
    if (p.status == "Downloading" && p.total > 500000 && p.current > 0 && p.current < p.total) {
      cut = p.id;
      return false;
    }
    return true;
  };
  auto r = pull_image(*svc, ref, po);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find("cancelled"), std::string::npos) << r.error().what();
  ASSERT_FALSE(cut.empty());
  EXPECT_EQ(ingest_files(*svc), 0u) << "a partial blob stayed in the ingest area";
  auto blobs = *svc->content().list();
  for (auto& b : blobs) EXPECT_NE(b.short_id(), cut) << "the interrupted blob was committed";
  EXPECT_TRUE(svc->store().list()->empty());
  size_t before = svc->content().list()->size();
  // The next pull completes, reusing what was complete.
  std::vector<std::string> statuses;
  po.progress = [&](const Progress& p) {
    statuses.push_back(p.status);
    return true;
  };
  auto ok = pull_image(*svc, ref, po);
  ASSERT_TRUE(ok) << ok.error().what();
  EXPECT_EQ(static_cast<size_t>(std::count(statuses.begin(), statuses.end(), "Already exists")), before);
  expect_files(*svc, *ok);
}

TEST(Registry, CorruptedOrTruncatedBlobsAreRefused) {
  REQUIRE_PEERS();
  Seed s;
  Registry reg(s.tmp / "registry");
  ASSERT_TRUE(reg.ready()) << reg.log();
  std::string ref = reg.host() + "/seed/busybox:1";
  seed_registry(s, ref);
  auto raw = skopeo({"inspect", "--raw", "--tls-verify=false", "docker://" + ref});
  ASSERT_EQ(raw.status, 0);
  auto man = *parse_manifest(raw.out);
  auto blob_file = [&](const Digest& d) {
    return reg.data() + "/docker/registry/v2/blobs/sha256/" + d.hex().substr(0, 2) + "/" + d.hex() + "/data";
  };
  auto svc = s.fresh("pull");
  // Same size, other bytes: the digest check refuses it.
  std::string victim = blob_file(man.layers[2].digest);
  std::string orig = berth::test::read_text(victim);
  std::string bad = orig;
  bad[bad.size() / 2] ^= 0x55;
  berth::test::write_text(victim, bad);
  auto r = pull_image(*svc, ref);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find("digest mismatch"), std::string::npos) << r.error().what();
  EXPECT_FALSE(svc->content().has(man.layers[2].digest));
  EXPECT_TRUE(svc->store().list()->empty());
  EXPECT_EQ(ingest_files(*svc), 0u);
  // Truncated.
  berth::test::write_text(victim, orig.substr(0, orig.size() / 3));
  r = pull_image(*svc, ref);
  ASSERT_FALSE(r);
  EXPECT_FALSE(svc->content().has(man.layers[2].digest));
  EXPECT_TRUE(svc->store().list()->empty());
  EXPECT_EQ(ingest_files(*svc), 0u);
  // Restored, the pull completes.
  berth::test::write_text(victim, orig);
  ASSERT_TRUE(pull_image(*svc, ref));
}

TEST(Registry, HostileRegistryAnswersAreRefused) {
  Seed s;
  std::string good_digest = "sha256:" + std::string(64, 'a');
  TinyHttpServer fake([&](const HttpReq& req) {
    HttpResp r;
    if (req.target == "/v2/") return r;
    if (req.target.find("/manifests/notjson") != std::string::npos) {
      r.content_type = media::docker_manifest;
      r.body = "<html>this is not a manifest</html>";
      return r;
    }
    if (req.target.find("/manifests/") != std::string::npos) {  // asked by digest, sends other bytes
      r.content_type = media::oci_manifest;
      r.body = R"({"schemaVersion":2,"config":{"digest":")" + good_digest + R"(","size":1},"layers":[]})";
      return r;
    }
    r.status = 404;
    return r;
  });
  std::string host = fake.url().substr(7);
  auto svc = s.fresh("pull");
  auto notjson = pull_image(*svc, host + "/x:notjson");
  ASSERT_FALSE(notjson);
  EXPECT_NE(notjson.error().what().find("invalid JSON"), std::string::npos) << notjson.error().what();
  auto wrong = pull_image(*svc, host + "/x@sha256:" + std::string(64, 'b'));
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().what().find("digest mismatch"), std::string::npos) << wrong.error().what();
  EXPECT_TRUE(svc->content().list()->empty());
  EXPECT_TRUE(svc->store().list()->empty());
}

TEST(Registry, HtpasswdBasicAuth) {
  REQUIRE_PEERS();
  if (!berth::test::have_program("htpasswd")) GTEST_SKIP() << "htpasswd (apache2-utils) not installed";
  Seed s;
  auto hp = run({"htpasswd", "-Bbn", "alice", "s3cret"});
  ASSERT_EQ(hp.status, 0) << hp.err;
  berth::test::write_text(s.tmp / "htpasswd", hp.out);
  Registry reg(s.tmp / "registry", "  htpasswd:\n    realm: berth-test\n    path: " + (s.tmp / "htpasswd") + "\n");
  ASSERT_TRUE(reg.ready()) << reg.log();
  std::string ref = reg.host() + "/seed/busybox:1";
  seed_registry(s, ref, {"--dest-creds", "alice:s3cret"});

  auto svc = s.fresh("pull");
  PullOptions anon;
  anon.registry.docker_config = s.tmp / "none.json";
  auto denied = pull_image(*svc, ref, anon);
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().kind, berth::ErrorKind::Permission);
  EXPECT_NE(denied.error().message.find("authentication required"), std::string::npos) << denied.error().message;

  PullOptions wrong;
  wrong.registry.credentials = Credentials{"alice", "wrong", ""};
  auto refused = pull_image(*svc, ref, wrong);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, berth::ErrorKind::Permission);

  // Credentials from a Docker-style config.json.
  std::string cfg = s.tmp / "docker-config.json";
  berth::test::write_text(cfg, R"({"auths":{")" + reg.host() + R"(":{"auth":")" + b64std("alice:s3cret") + R"("}}})");
  PullOptions po;
  po.registry.docker_config = cfg;
  auto img = pull_image(*svc, ref, po);
  ASSERT_TRUE(img) << img.error().what();
  expect_files(*svc, *img);
  PushOptions pu;
  pu.registry.docker_config = cfg;
  auto d = push_image(*s.local, "seed:2", reg.host() + "/berth/basic:1", pu);
  ASSERT_TRUE(d) << d.error().what();
  EXPECT_EQ(remote_digest(reg.host() + "/berth/basic:1", {"--creds", "alice:s3cret"}), d->str());
}

TEST(Registry, BearerTokenFlow) {
  REQUIRE_PEERS();
  Seed s;
  std::string key = s.tmp / "token.key", cert = s.tmp / "token.crt";
  auto gen = run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days",
                  "2", "-subj", "/CN=berth-token"});
  ASSERT_EQ(gen.status, 0) << gen.err;
  auto der = run({"openssl", "x509", "-in", cert, "-outform", "DER"});
  ASSERT_EQ(der.status, 0);
  std::string x5c = b64std(der.out);
  std::atomic<int> issued{0}, push_grants{0};
  // The token service: anyone may pull; pushing needs bob's password.
  TinyHttpServer tokens([&](const HttpReq& req) {
    HttpResp r;
    auto q = req.target.substr(req.target.find('?') + 1);
    std::vector<std::string> scopes;
    std::string service;
    size_t i = 0;
    while (i <= q.size()) {
      auto j = q.find('&', i);
      if (j == std::string::npos) j = q.size();
      auto kv = q.substr(i, j - i);
      auto eq = kv.find('=');
      std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
      std::string dec;
      for (size_t p = 0; p < v.size(); ++p) {
        if (v[p] == '%' && p + 2 < v.size()) {
          dec += static_cast<char>(std::stoi(v.substr(p + 1, 2), nullptr, 16));
          p += 2;
        } else {
          dec += v[p];
        }
      }
      if (k == "scope") scopes.push_back(dec);
      if (k == "service") service = dec;
      i = j + 1;
    }
    auto auth = req.headers.count("authorization") ? req.headers.at("authorization") : "";
    bool bob = auth == "Basic " + b64std("bob:hunter2");
    if (!auth.empty() && !bob) {
      r.status = 401;
      r.body = R"({"errors":[{"code":"UNAUTHORIZED","message":"bad password"}]})";
      return r;
    }
    nlohmann::json access = nlohmann::json::array();
    for (auto& sc : scopes) {
      auto c1 = sc.find(':'), c2 = sc.rfind(':');
      std::string name = sc.substr(c1 + 1, c2 - c1 - 1);
      std::vector<std::string> actions{"pull"};
      if (bob && sc.substr(c2 + 1).find("push") != std::string::npos) {
        actions.push_back("push");
        ++push_grants;
      }
      access.push_back({{"type", sc.substr(0, c1)}, {"name", name}, {"actions", actions}});
    }
    long now = static_cast<long>(time(nullptr));
    nlohmann::json hdr = {{"typ", "JWT"}, {"alg", "RS256"}, {"x5c", {x5c}}};
    nlohmann::json claims = {{"iss", "berth-issuer"}, {"sub", bob ? "bob" : ""}, {"aud", service},
                             {"exp", now + 600}, {"nbf", now - 60}, {"iat", now},
                             {"jti", std::to_string(++issued)}, {"access", access}};
    std::string input = b64url(hdr.dump()) + "." + b64url(claims.dump());
    auto sig = run({"openssl", "dgst", "-sha256", "-sign", key}, input);
    r.body = nlohmann::json{{"token", input + "." + b64url(sig.out)}}.dump();
    return r;
  });
  Registry reg(s.tmp / "registry", "  token:\n    realm: " + tokens.url() +
                                       "/token\n    service: berth-registry\n    issuer: berth-issuer\n"
                                       "    rootcertbundle: " + cert + "\n");
  ASSERT_TRUE(reg.ready()) << reg.log();
  std::string ref = reg.host() + "/seed/busybox:1";
  seed_registry(s, ref, {"--dest-creds", "bob:hunter2"});

  // Anonymous pull with a token.
  auto svc = s.fresh("pull");
  PullOptions po;
  po.registry.docker_config = s.tmp / "none.json";
  int before = issued;
  auto img = pull_image(*svc, ref, po);
  ASSERT_TRUE(img) << img.error().what() << "\n" << reg.log();
  expect_files(*svc, *img);
  EXPECT_GT(issued.load(), before);

  // Anonymous push is refused (the token carries no push right) ...
  PushOptions anon;
  anon.registry.docker_config = s.tmp / "none.json";
  auto denied = push_image(*s.local, "seed:2", reg.host() + "/berth/token:1", anon);
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().kind, berth::ErrorKind::Permission) << denied.error().what();
  // ... a wrong password is refused by the token service ...
  PushOptions wrong;
  wrong.registry.credentials = Credentials{"bob", "nope", ""};
  auto bad = push_image(*s.local, "seed:2", reg.host() + "/berth/token:1", wrong);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().what().find("bad password"), std::string::npos) << bad.error().what();
  // ... and bob's credentials push.
  PushOptions pu;
  pu.registry.credentials = Credentials{"bob", "hunter2", ""};
  auto d = push_image(*s.local, "seed:2", reg.host() + "/berth/token:1", pu);
  ASSERT_TRUE(d) << d.error().what();
  EXPECT_GT(push_grants.load(), 0);
  EXPECT_EQ(remote_digest(reg.host() + "/berth/token:1", {"--creds", "bob:hunter2"}), d->str());
}

TEST(Registry, MultiPlatformIndexSelectsThePlatform) {
  REQUIRE_PEERS();
  Seed s;
  auto arm = s.local->import(s.tmp / "rootfs", {.tag = "seed:arm", .message = "", .platform = *Platform::parse("linux/arm64/v8")});
  ASSERT_TRUE(arm) << arm.error().what();
  // An OCI layout whose index.json points at an image index of two platforms.
  std::string tarfile = s.tmp / "both.tar", dir = s.tmp / "multi";
  {
    std::ofstream out(tarfile, std::ios::binary);
    ASSERT_TRUE(save_archive(*s.local, {"seed:2", "seed:arm"}, ArchiveFormat::OciLayout, [&](std::string_view d) -> berth::Result<> {
      out.write(d.data(), static_cast<std::streamsize>(d.size()));
      return {};
    }));
  }
  fs::create_directories(dir);
  ASSERT_EQ(run({"tar", "-xf", tarfile, "-C", dir}).status, 0);
  auto desc = [&](const ImageRecord& r, const char* arch, const char* variant) {
    nlohmann::json d = {{"mediaType", r.manifest_media_type},
                        {"digest", r.manifest_digest.str()},
                        {"size", *s.local->content().size(r.manifest_digest)},
                        {"platform", {{"os", "linux"}, {"architecture", arch}}}};
    if (*variant) d["platform"]["variant"] = variant;
    return d;
  };
  nlohmann::json idx = {{"schemaVersion", 2},
                        {"mediaType", media::oci_index},
                        {"manifests", {desc(s.image, "amd64", ""), desc(*arm, "arm64", "v8")}}};
  std::string idx_bytes = idx.dump();
  Digest idx_digest = Digest::of(idx_bytes);
  berth::test::write_text(dir + "/blobs/sha256/" + idx_digest.hex(), idx_bytes);
  nlohmann::json top = {{"schemaVersion", 2},
                        {"manifests", {{{"mediaType", media::oci_index}, {"digest", idx_digest.str()},
                                        {"size", idx_bytes.size()}}}}};
  berth::test::write_text(dir + "/index.json", top.dump());
  fs::remove(dir + "/manifest.json");

  Registry reg(s.tmp / "registry");
  ASSERT_TRUE(reg.ready()) << reg.log();
  std::string ref = reg.host() + "/seed/multi:1";
  auto cp = skopeo({"copy", "--all", "--dest-tls-verify=false", "oci:" + dir, "docker://" + ref});
  ASSERT_EQ(cp.status, 0) << cp.err;

  auto svc = s.fresh("pull");
  auto amd = pull_image(*svc, ref);
  ASSERT_TRUE(amd) << amd.error().what();
  EXPECT_EQ(amd->id, s.image.id);
  // The repo digest is the index's (as the registry stores it), and the index is kept.
  auto raw = skopeo({"inspect", "--raw", "--tls-verify=false", "docker://" + ref});
  ASSERT_EQ(raw.status, 0) << raw.err;
  Digest remote_idx = Digest::of(raw.out);
  EXPECT_EQ(amd->repo_digests, std::vector<std::string>{reg.host() + "/seed/multi@" + remote_idx.str()});
  EXPECT_TRUE(svc->content().has(remote_idx));
  PullOptions po;
  po.platform = *Platform::parse("linux/arm64");
  auto a = pull_image(*svc, ref, po);
  ASSERT_TRUE(a) << a.error().what();
  EXPECT_EQ(a->id, arm->id);
  EXPECT_EQ(a->architecture, "arm64");
  po.platform = *Platform::parse("linux/s390x");
  auto none = pull_image(*svc, ref, po);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().kind, berth::ErrorKind::NotFound);
  EXPECT_NE(none.error().message.find("linux/arm64/v8"), std::string::npos) << none.error().message;
}

// Anything but localhost/127.0.0.1 (and hosts listed as insecure) is HTTPS: a registry on
// 127.0.0.2 with a self-signed certificate is reachable only when its CA is given.
TEST(Registry, HttpsWithCustomCa) {
  REQUIRE_PEERS();
  Seed s;
  std::string key = s.tmp / "tls.key", cert = s.tmp / "tls.crt";
  auto gen = run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days",
                  "2", "-subj", "/CN=127.0.0.2", "-addext", "subjectAltName=IP:127.0.0.2"});
  ASSERT_EQ(gen.status, 0) << gen.err;
  Registry reg(s.tmp / "registry", "", "  tls:\n    certificate: " + cert + "\n    key: " + key + "\n", "127.0.0.2");
  ASSERT_TRUE(reg.ready()) << reg.log();
  std::string ref = reg.host() + "/seed/busybox:1";
  seed_registry(s, ref);
  EXPECT_EQ(RegistryClient(reg.host(), {}).base_url(), "https://" + reg.host());

  auto svc = s.fresh("pull");
  auto untrusted = pull_image(*svc, ref);
  ASSERT_FALSE(untrusted);
  EXPECT_EQ(untrusted.error().kind, berth::ErrorKind::Unavailable);
  EXPECT_NE(untrusted.error().message.find("https://" + reg.host()), std::string::npos) << untrusted.error().message;
  PullOptions po;
  po.registry.ca_file = cert;
  auto img = pull_image(*svc, ref, po);
  ASSERT_TRUE(img) << img.error().what();
  expect_files(*svc, *img);
  PushOptions pu;
  pu.registry.ca_file = cert;
  auto d = push_image(*s.local, "seed:2", reg.host() + "/berth/tls:1", pu);
  ASSERT_TRUE(d) << d.error().what();
  EXPECT_EQ(remote_digest(reg.host() + "/berth/tls:1"), d->str());
  // Listed as insecure: plain HTTP, which this TLS-only registry refuses.
  PullOptions insecure;
  insecure.registry.insecure = {reg.host()};
  EXPECT_FALSE(pull_image(*s.fresh("pull2"), ref, insecure));
}

// A registry that serves a hostile layer (path traversal) next to a good one: the pull fails
// naming the entry, nothing lands outside the store, and no layer or image is left registered.
TEST(Registry, HostileLayerFromRegistryIsRefusedAndRolledBack) {
  REQUIRE_PEERS();
  Seed s;
  std::string dir = s.tmp / "evil-oci";
  fs::create_directories(dir + "/blobs/sha256");
  auto put_blob = [&](const std::string& bytes) {
    Digest d = Digest::of(bytes);
    berth::test::write_text(dir + "/blobs/sha256/" + d.hex(), bytes);
    return d;
  };
  // Layer 0: the busybox root filesystem; layer 1: an entry that climbs out of the root.
  std::string good = s.tmp / "good.tar", evil = s.tmp / "evil.tar";
  ASSERT_EQ(run({"tar", "-C", s.tmp / "rootfs", "-cf", good, "."}).status, 0);
  berth::test::write_text(s.tmp / "payload", "pwned");
  ASSERT_EQ(berth::test::sh("cd " + s.tmp.path() + " && tar --transform='s,^payload,../../berth-escaped,' -cf " +
                            evil + " payload").status, 0);
  Digest g = put_blob(berth::test::read_text(good)), e = put_blob(berth::test::read_text(evil));
  nlohmann::json cfg = {{"architecture", "amd64"}, {"os", "linux"}, {"config", nlohmann::json::object()},
                        {"rootfs", {{"type", "layers"}, {"diff_ids", {g.str(), e.str()}}}}};
  std::string cfg_bytes = cfg.dump();
  Digest c = put_blob(cfg_bytes);
  auto desc = [&](const char* mt, const Digest& d) {
    return nlohmann::json{{"mediaType", mt}, {"digest", d.str()}, {"size", fs::file_size(dir + "/blobs/sha256/" + d.hex())}};
  };
  nlohmann::json man = {{"schemaVersion", 2}, {"mediaType", media::oci_manifest}, {"config", desc(media::oci_config, c)},
                        {"layers", {desc(media::oci_layer, g), desc(media::oci_layer, e)}}};
  Digest m = put_blob(man.dump());
  berth::test::write_text(dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  berth::test::write_text(dir + "/index.json",
                          nlohmann::json{{"schemaVersion", 2}, {"manifests", {desc(media::oci_manifest, m)}}}.dump());

  Registry reg(s.tmp / "registry");
  ASSERT_TRUE(reg.ready()) << reg.log();
  std::string ref = reg.host() + "/evil/image:1";
  auto cp = skopeo({"copy", "--dest-tls-verify=false", "oci:" + dir, "docker://" + ref});
  ASSERT_EQ(cp.status, 0) << cp.err;

  auto svc = s.fresh("pull");
  auto r = pull_image(*svc, ref);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find("escapes the root"), std::string::npos) << r.error().what();
  EXPECT_NE(r.error().what().find("berth-escaped"), std::string::npos) << r.error().what();
  EXPECT_FALSE(fs::exists(s.tmp / "berth-escaped"));
  EXPECT_FALSE(fs::exists(svc->root() + "/berth-escaped"));
  EXPECT_FALSE(fs::exists(svc->root() + "/overlay/berth-escaped"));
  EXPECT_TRUE(svc->snapshotter().layers()->empty()) << "the good layer unpacked alongside stayed behind";
  EXPECT_TRUE(svc->store().list()->empty());
  EXPECT_TRUE(std::filesystem::is_empty(svc->root() + "/overlay/staging"));
  EXPECT_EQ(ingest_files(*svc), 0u);
}
