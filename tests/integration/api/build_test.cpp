// docker build against berthd (the classic builder's API, DOCKER_BUILDKIT=0) with both stock
// clients: a multi-stage Dockerfile on busybox is built, run and inspected; its history shows
// the steps; a rebuild is all cache hits and starts no container; changing one file reruns from
// its COPY on; a malformed Dockerfile and a failing RUN name their line and tag nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "api/berthd_fixture.hpp"
#include "api/busybox_archive.hpp"

using namespace berth::api::test;
using nlohmann::json;

namespace {

const char* kDockerfile = R"(ARG BASE=busybox
FROM ${BASE} AS builder
ARG GREETING=hello
WORKDIR /src
COPY app.sh ./
RUN chmod 755 app.sh && echo "$GREETING from build" > built.txt
RUN <<EOF
mkdir -p /out
cp /src/built.txt /out/
echo script-ran > /out/script.txt
EOF

FROM busybox
LABEL org.example.name="demo app" version=1
ENV APP_HOME=/app PATH=/app/bin:/bin
RUN echo "appuser:x:1234:1234::/app:/bin/sh" >> /etc/passwd && echo "appuser:x:1234:" >> /etc/group
WORKDIR $APP_HOME
COPY --from=builder /out/ ./data/
COPY --from=builder --chown=1234:1234 /src/app.sh bin/app
COPY --chown=appuser:appuser conf/ conf/
COPY <<"EOT" /app/motd
welcome
EOT
COPY <<EOT /app/home
home is $APP_HOME "quoted" 'single'
EOT
EXPOSE 8080 53/udp
HEALTHCHECK --interval=30s --timeout=3s CMD true
USER appuser
ENTRYPOINT ["/app/bin/app"]
CMD ["--serve"]
)";

const char* kApp = "#!/bin/sh\necho \"app $* user=$(id -u) home=$APP_HOME\"\ncat /app/data/built.txt\n";

class Build : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(berth::test::have_program(GetParam())) << GetParam() << " is not installed";
    ASSERT_FALSE(busybox_archive().empty());
    ASSERT_TRUE(d.ready()) << d.log();
    auto r = docker({"load", "-i", busybox_archive()});
    ASSERT_EQ(r.status, 0) << r.err;
    std::filesystem::create_directories(ctx / "conf");
    berth::test::write_text(ctx / "Dockerfile", kDockerfile);
    berth::test::write_text(ctx / "app.sh", kApp);
    berth::test::write_text(ctx / "conf/x.conf", "setting=1\n");
    berth::test::write_text(ctx / ".dockerignore", "*.tmp\n");
    berth::test::write_text(ctx / "junk.tmp", "ignored\n");
  }
  void TearDown() override {
    auto ids = docker({"ps", "-aq"});
    EXPECT_EQ(ids.out, "") << "a build left containers behind";
    std::istringstream in(ids.out);
    for (std::string id; in >> id;) docker({"rm", "-f", id});
  }
  berth::test::CmdResult docker(std::vector<std::string> args) { return d.docker(std::move(args), GetParam()); }
  // docker build with the classic builder (the one berthd serves).
  berth::test::CmdResult build(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {"env", "DOCKER_BUILDKIT=0", GetParam(), "--config", d.path("docker-config"), "-H",
                               d.host(), "build"});
    return berth::test::run(args, input, std::chrono::seconds(120));
  }
  json inspect(const std::string& ref) {
    auto r = docker({"image", "inspect", ref});
    EXPECT_EQ(r.status, 0) << r.err;
    auto j = json::parse(r.out, nullptr, false);
    return j.is_array() && !j.empty() ? j[0] : json();
  }
  static size_t count(const std::string& s, const std::string& what) {
    size_t n = 0;
    for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
    return n;
  }
  Berthd d;
  berth::test::TempDir ctx{"berth-build-ctx"};
};

}  // namespace

TEST_P(Build, MultiStageImageRunsWithItsFilesEnvUserAndConfig) {
  auto r = build({"-t", "demo:1", "-t", "demo:latest", "--build-arg", "GREETING=hi", "--label", "built.by=test", ctx.path()});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Step 1/22 : FROM ${BASE} AS builder"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" ---> Running in "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Successfully built "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Successfully tagged demo:1\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Successfully tagged demo:latest\n"), std::string::npos) << r.out;

  auto run = docker({"run", "--rm", "demo:1"});
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, "app --serve user=1234 home=/app\nhi from build\n");
  auto files = docker({"run", "--rm", "--entrypoint", "sh", "demo:1", "-c",
                       "pwd; stat -c '%n %u:%g %a' /app/bin/app /app/conf/x.conf /app/motd; cat /app/motd "
                       "/app/data/script.txt /app/conf/x.conf /app/home; ls /app/data; id -un"});
  ASSERT_EQ(files.status, 0) << files.err;
  EXPECT_EQ(files.out,
            "/app\n/app/bin/app 1234:1234 755\n/app/conf/x.conf 1234:1234 644\n/app/motd 0:0 644\n"
            "welcome\nscript-ran\nsetting=1\nhome is /app \"quoted\" 'single'\nbuilt.txt\nscript.txt\nappuser\n");

  auto img = inspect("demo:1");
  auto& c = img["Config"];
  EXPECT_EQ(c["User"], "appuser");
  EXPECT_EQ(c["WorkingDir"], "/app");
  EXPECT_EQ(c["Entrypoint"], json({"/app/bin/app"}));
  EXPECT_EQ(c["Cmd"], json({"--serve"}));
  EXPECT_EQ(c["Labels"], json({{"org.example.name", "demo app"}, {"version", "1"}, {"built.by", "test"}}));
  EXPECT_EQ(c["ExposedPorts"], json({{"8080/tcp", json::object()}, {"53/udp", json::object()}}));
  EXPECT_EQ(c["Healthcheck"]["Test"], json({"CMD-SHELL", "true"}));
  EXPECT_EQ(c["Healthcheck"]["Interval"], 30000000000LL);
  bool env_ok = false;
  for (auto& e : c["Env"]) env_ok |= e == "PATH=/app/bin:/bin";
  EXPECT_TRUE(env_ok) << c["Env"].dump();
  EXPECT_EQ(count(c["Env"].dump(), "APP_HOME=/app"), 1u) << c["Env"].dump();

  // The step images are the build cache: intermediate images (untagged, with children) are
  // listed with -a only, as dockerd lists them; the builder stage's last one has no children,
  // so it is listed, dangling. Listed newest first by Created (whole seconds): busybox may tie
  // with demo, so compare as a set.
  auto listed = docker({"images", "-q"});
  std::string demo_id = img["Id"].get<std::string>().substr(7, 12);  // tagged twice
  auto dangling = docker({"images", "-q", "--filter", "dangling=true"}).out;
  ASSERT_EQ(count(dangling, "\n"), 1u) << dangling;
  dangling.pop_back();
  std::multiset<std::string> ids;
  std::istringstream lines(listed.out);
  for (std::string line; std::getline(lines, line);) ids.insert(line);
  EXPECT_EQ(ids, (std::multiset<std::string>{demo_id, demo_id, inspect("busybox")["Id"].get<std::string>().substr(7, 12),
                                             dangling}))
      << listed.out;
  EXPECT_TRUE(img["Parent"].get<std::string>().starts_with("sha256:")) << img["Parent"];
  EXPECT_GT(count(docker({"images", "-aq"}).out, "\n"), 20u);

  auto hist = docker({"history", "--no-trunc", "--format", "{{.CreatedBy}}", "demo:1"});
  ASSERT_EQ(hist.status, 0) << hist.err;
  for (const char* step : {"CMD [\"--serve\"]", "ENTRYPOINT [\"/app/bin/app\"]", "USER appuser", "EXPOSE 53/udp 8080",
                           "COPY dir:", "COPY file:", "WORKDIR /app", "/bin/sh -c echo \"appuser:x:1234",
                           "ENV APP_HOME=/app", "LABEL org.example.name=demo app version=1", "LABEL built.by=test"})
    EXPECT_NE(hist.out.find(step), std::string::npos) << step << " not in\n" << hist.out;
}

TEST_P(Build, RebuildIsAllCacheAndAChangedFileRerunsFromItsCopy) {
  auto first = build({"-t", "demo:1", ctx.path()});
  ASSERT_EQ(first.status, 0) << first.out << first.err;
  auto id1 = inspect("demo:1")["Id"];

  auto again = build({"-t", "demo:1", ctx.path()});
  ASSERT_EQ(again.status, 0) << again.out << again.err;
  EXPECT_EQ(again.out.find("Running in"), std::string::npos) << "a container ran on a full cache hit:\n" << again.out;
  EXPECT_EQ(count(again.out, " ---> Using cache"), 19u) << again.out;  // every step but the two FROMs
  EXPECT_EQ(inspect("demo:1")["Id"], id1);

  berth::test::write_text(ctx / "conf/x.conf", "setting=2\n");
  auto changed = build({"-t", "demo:1", ctx.path()});
  ASSERT_EQ(changed.status, 0) << changed.out << changed.err;
  auto at = changed.out.find("COPY --chown=appuser:appuser conf/ conf/");
  ASSERT_NE(at, std::string::npos) << changed.out;
  EXPECT_EQ(count(changed.out.substr(0, at), " ---> Using cache"), 11u) << changed.out;
  EXPECT_EQ(count(changed.out.substr(at), " ---> Using cache"), 0u) << changed.out;
  EXPECT_NE(inspect("demo:1")["Id"], id1);
  auto run = docker({"run", "--rm", "--entrypoint", "cat", "demo:1", "/app/conf/x.conf"});
  EXPECT_EQ(run.out, "setting=2\n") << run.err;

  // system df counts the step images as build cache; builder prune forgets and deletes them.
  auto df = docker({"system", "df", "--format", "{{.Type}} {{.TotalCount}}"});
  ASSERT_EQ(df.status, 0) << df.err;
  EXPECT_EQ(df.out.find("Build Cache 0"), std::string::npos) << df.out;
  EXPECT_NE(df.out.find("Build Cache "), std::string::npos) << df.out;
  auto prune = docker({"builder", "prune", "-f"});
  EXPECT_EQ(prune.status, 0) << prune.err;
  EXPECT_NE(docker({"system", "df", "--format", "{{.Type}} {{.TotalCount}}"}).out.find("Build Cache 0"), std::string::npos);
  EXPECT_EQ(docker({"run", "--rm", "--entrypoint", "cat", "demo:1", "/app/conf/x.conf"}).out, "setting=2\n");

  auto nocache = build({"--no-cache", "-t", "demo:2", ctx.path()});
  ASSERT_EQ(nocache.status, 0) << nocache.out << nocache.err;
  EXPECT_EQ(count(nocache.out, " ---> Using cache"), 0u) << nocache.out;
}

TEST_P(Build, ImagePruneKeepsIntermediateImagesAndPruneAllDropsTheCacheConsistently) {
  auto first = build({"-t", "demo:1", ctx.path()});
  ASSERT_EQ(first.status, 0) << first.out << first.err;
  auto id1 = inspect("demo:1")["Id"];

  // As dockerd: a dangling prune deletes the builder stage's chain (its last image is a
  // dangling head) but not the final stage's steps, which demo:1 is built on.
  auto prune = docker({"image", "prune", "-f"});
  ASSERT_EQ(prune.status, 0) << prune.err;
  EXPECT_EQ(count(prune.out, "deleted: sha256:"), 5u) << prune.out;  // ARG, WORKDIR, COPY, RUN, RUN
  EXPECT_EQ(docker({"images", "-q", "--filter", "dangling=true"}).out, "");
  auto again = build({"-t", "demo:1", ctx.path()});
  ASSERT_EQ(again.status, 0) << again.out << again.err;
  auto final_stage = again.out.find("Step 7/21 : FROM busybox");
  ASSERT_NE(final_stage, std::string::npos) << again.out;
  EXPECT_EQ(count(again.out.substr(0, final_stage), "Running in"), 2u) << again.out;
  EXPECT_EQ(count(again.out.substr(final_stage), " ---> Using cache"), 14u) << again.out;
  EXPECT_EQ(inspect("demo:1")["Id"], id1) << "the same files from the rerun builder stage gave another image";

  // docker rmi deletes the untagged parents too (the client's default, --no-prune aside).
  auto rmi = docker({"rmi", "demo:1"});
  ASSERT_EQ(rmi.status, 0) << rmi.err;
  EXPECT_EQ(count(rmi.out, "Deleted: sha256:"), 14u) << rmi.out;
  ASSERT_EQ(build({"-t", "demo:1", ctx.path()}).status, 0);

  // prune -a deletes every unused image, so the cache has nothing left: the entries go with
  // their images, and a rebuild reruns every step rather than failing on a missing image.
  auto all = docker({"image", "prune", "-a", "-f"});
  ASSERT_EQ(all.status, 0) << all.err;
  EXPECT_EQ(docker({"images", "-aq"}).out, "");
  EXPECT_NE(docker({"system", "df", "--format", "{{.Type}} {{.TotalCount}}"}).out.find("Build Cache 0"), std::string::npos);
  ASSERT_EQ(docker({"load", "-i", busybox_archive()}).status, 0);
  auto cold = build({"-t", "demo:1", ctx.path()});
  ASSERT_EQ(cold.status, 0) << cold.out << cold.err;
  EXPECT_EQ(count(cold.out, " ---> Using cache"), 0u) << cold.out;
  EXPECT_EQ(docker({"run", "--rm", "--entrypoint", "cat", "demo:1", "/app/conf/x.conf"}).out, "setting=1\n");
}

TEST_P(Build, MalformedDockerfileNamesTheLineAndTagsNothing) {
  berth::test::write_text(ctx / "Dockerfile", "FROM busybox\nRUN true\nRUNN echo\n");
  auto r = build({"-t", "bad:1", ctx.path()});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("line 3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("RUNN"), std::string::npos) << r.err;
  EXPECT_EQ(docker({"images", "-q", "bad:1"}).out, "");

  berth::test::write_text(ctx / "Dockerfile", "FROM busybox\nENV A=1\nSTOPSIGNAL SIGNOPE\n");
  auto sig = build({"-t", "bad:1", ctx.path()});
  EXPECT_NE(sig.status, 0);
  EXPECT_NE(sig.err.find("line 3: Invalid signal: SIGNOPE"), std::string::npos) << sig.err;

  berth::test::write_text(ctx / "Dockerfile", "FROM busybox\nCOPY --chmod=9x9 app.sh /x\n");
  auto chmod = build({"-t", "bad:1", ctx.path()});
  EXPECT_NE(chmod.status, 0);
  EXPECT_NE(chmod.err.find("line 2"), std::string::npos) << chmod.err;
  EXPECT_NE(chmod.err.find("--chmod"), std::string::npos) << chmod.err;
  EXPECT_EQ(docker({"images", "-q", "bad:1"}).out, "");

  berth::test::write_text(ctx / "Dockerfile", "FROM busybox\nCOPY missing.txt /x\n");
  auto missing = build({"-t", "bad:1", ctx.path()});
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.err.find("line 2"), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("missing.txt"), std::string::npos) << missing.err;
  EXPECT_EQ(docker({"images", "-q", "bad:1"}).out, "");
}

TEST_P(Build, FailingRunNamesItsLineExitCodeAndOutputAndLeavesNothing) {
  berth::test::write_text(ctx / "Dockerfile", "FROM busybox\nENV A=1\nRUN echo last-words && exit 3\n");
  auto r = build({"-t", "bad:1", ctx.path()});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("The command '/bin/sh -c echo last-words && exit 3' returned a non-zero code: 3"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("line 3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("last-words"), std::string::npos) << r.err;
  EXPECT_EQ(docker({"images", "-q", "bad:1"}).out, "");
  EXPECT_EQ(docker({"ps", "-aq"}).out, "");
}

TEST_P(Build, OnbuildTriggersRunInTheChildAndAreNotInherited) {
  auto parent = build({"-t", "parent:1", "-"}, "FROM busybox\nONBUILD RUN echo triggered > /t\nONBUILD ENV T=1\n");
  ASSERT_EQ(parent.status, 0) << parent.out << parent.err;
  EXPECT_EQ(inspect("parent:1")["Config"]["OnBuild"], json({"RUN echo triggered > /t", "ENV T=1"}));
  auto child = build({"-t", "child:1", "-"}, "FROM parent:1\nCMD [\"sh\", \"-c\", \"cat /t; echo T=$T\"]\n");
  ASSERT_EQ(child.status, 0) << child.out << child.err;
  EXPECT_NE(child.out.find("# Executing 2 build triggers\n"), std::string::npos) << child.out;
  EXPECT_NE(child.out.find("Step 2/2 : CMD"), std::string::npos) << child.out;
  EXPECT_TRUE(inspect("child:1")["Config"]["OnBuild"].is_null());
  EXPECT_EQ(docker({"run", "--rm", "child:1"}).out, "triggered\nT=1\n");
}

TEST_P(Build, DockerfileOnStdinBuildsWithAnEmptyContext) {
  auto r = build({"-t", "stdin:1", "-"}, "FROM busybox\nRUN echo from-stdin > /f\nCMD [\"cat\", \"/f\"]\n");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  auto run = docker({"run", "--rm", "stdin:1"});
  EXPECT_EQ(run.out, "from-stdin\n") << run.err;
}

TEST_P(Build, FileCopiedToAnExistingDirectoryWithoutSlashLandsInsideIt) {
  // As dockerd: /etc is a directory in busybox, so the file goes in it; /new is not, so it is
  // the file's new name; a heredoc follows the same rule.
  berth::test::write_text(ctx / "Dockerfile",
                          "FROM busybox\nCOPY app.sh /etc\nCOPY app.sh /new\nCOPY <<EOT /tmp\nin tmp\nEOT\n");
  auto r = build({"-t", "into:1", ctx.path()});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  auto run = docker({"run", "--rm", "into:1", "sh", "-c",
                     "test -d /etc && test -f /etc/app.sh && test -f /new && cat /tmp/EOT && head -1 /etc/app.sh /new"});
  ASSERT_EQ(run.status, 0) << run.out << run.err;
  EXPECT_EQ(run.out, "in tmp\n==> /etc/app.sh <==\n#!/bin/sh\n\n==> /new <==\n#!/bin/sh\n");
}

TEST_P(Build, RunMountsCacheBindAndTmpfs) {
  berth::test::write_text(ctx / "Dockerfile", R"DF(FROM busybox AS tools
RUN echo tool-v1 > /tool
FROM busybox
WORKDIR /w
RUN --mount=type=cache,target=/cache,id=c1 echo run >> /cache/log && wc -l < /cache/log > /count
RUN --mount=type=cache,target=/var/cache/x,uid=1234,mode=0700 stat -c '%u %a' /var/cache/x > /cacheperm
RUN --mount=source=conf,target=conf cat conf/x.conf > /seen && ! touch conf/new 2>/dev/null
RUN --mount=type=bind,source=conf,target=/conf,rw touch /conf/written && ls /conf > /rwseen
RUN --mount=type=bind,from=tools,source=/tool,target=/t cat /t > /fromtool
RUN --mount=type=tmpfs,target=/scratch touch /scratch/x && test "$(ls /scratch)" = x
CMD ["sh", "-c", "cat /count /cacheperm /seen /rwseen /fromtool; ls -A /cache /conf /scratch"]
)DF");
  auto r = build({"-t", "mounts:1", ctx.path()});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  // What the mounts showed was written to the layers; their own contents were not.
  auto run = docker({"run", "--rm", "mounts:1"});
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, "1\n1234 700\nsetting=1\nwritten\nx.conf\ntool-v1\n/cache:\n\n/conf:\n\n/scratch:\n");
  EXPECT_FALSE(std::filesystem::exists(ctx / "conf/written")) << "a rw bind wrote into the context";

  // The cache directory outlives the build; builder prune empties it.
  auto again = build({"--no-cache", "-t", "mounts:2", ctx.path()});
  ASSERT_EQ(again.status, 0) << again.out << again.err;
  EXPECT_EQ(docker({"run", "--rm", "mounts:2", "cat", "/count"}).out, "2\n");
  EXPECT_FALSE(std::filesystem::is_empty(d.path("data/build-mounts/cache")));
  ASSERT_EQ(docker({"builder", "prune", "-f"}).status, 0);
  EXPECT_FALSE(std::filesystem::exists(d.path("data/build-mounts/cache")));
  auto fresh = build({"--no-cache", "-t", "mounts:3", ctx.path()});
  ASSERT_EQ(fresh.status, 0) << fresh.out << fresh.err;
  EXPECT_EQ(docker({"run", "--rm", "mounts:3", "cat", "/count"}).out, "1\n");

  // A bound file that changes reruns its RUN; the cache mount's contents do not.
  auto cached = build({"-t", "mounts:4", ctx.path()});
  EXPECT_EQ(count(cached.out, "Running in"), 0u) << cached.out;
  berth::test::write_text(ctx / "conf/x.conf", "setting=2\n");
  auto changed = build({"-t", "mounts:4", ctx.path()});
  ASSERT_EQ(changed.status, 0) << changed.out << changed.err;
  EXPECT_EQ(count(changed.out, "Running in"), 4u) << changed.out;  // the two conf binds and the RUNs after
  EXPECT_EQ(docker({"run", "--rm", "mounts:4", "cat", "/seen"}).out, "setting=2\n");
}

INSTANTIATE_TEST_SUITE_P(Clients, Build, ::testing::Values(kDocker28, kDocker20),
                         [](const auto& info) { return info.param == kDocker28 ? "docker28" : "docker20"; });

namespace {

class BerthBuild : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(busybox_archive().empty());
    ASSERT_TRUE(d.ready()) << d.log();
    ASSERT_EQ(d.docker({"load", "-i", busybox_archive()}).status, 0);
    berth::test::write_text(ctx / "Dockerfile", "FROM busybox\nRUN exit 7\n");  // not the one built
    berth::test::write_text(ctx / "data.txt", "payload\n");
    berth::test::write_text(ctx / "secret.key", "do not send\n");
    berth::test::write_text(ctx / ".dockerignore", "*.key\n");
  }
  berth::test::CmdResult berth(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {berth::test::bin("berth"), "-H", d.host()});
    return berth::test::run(args, input, std::chrono::seconds(120));
  }
  Berthd d;
  berth::test::TempDir ctx{"berth-build-ctx"}, elsewhere{"berth-build-df"};
};

}  // namespace

TEST_F(BerthBuild, DockerfileFromElsewhereTargetArgsIidfileAndIgnoredFiles) {
  berth::test::write_text(elsewhere / "Dockerfile",
                          "FROM busybox AS base\nARG WHO\nCOPY . /ctx/\nRUN echo \"by $WHO\" > /ctx/who\n"
                          "FROM base AS final\nRUN exit 9\n");
  auto r = berth({"build", "-f", elsewhere / "Dockerfile", "--target", "base", "--build-arg", "WHO=berth", "-t", "mine:1",
                  "--iidfile", elsewhere / "iid", "--label", "a=b", ctx.path()});
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Successfully tagged mine:1\n"), std::string::npos) << r.out;
  auto id = berth::test::read_text(elsewhere / "iid");
  EXPECT_TRUE(id.starts_with("sha256:")) << id;
  auto run = d.docker({"run", "--rm", "mine:1", "sh", "-c", "ls -A /ctx; cat /ctx/who /ctx/data.txt"});
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, ".dockerignore\nDockerfile\ndata.txt\nwho\nby berth\npayload\n");
  auto label = d.docker({"image", "inspect", "-f", "{{.Id}} {{index .Config.Labels \"a\"}}", "mine:1"});
  EXPECT_EQ(label.out, id + " b\n");

  auto quiet = berth({"build", "-q", "-f", "-", ctx.path()}, "FROM busybox\nCOPY data.txt /\n");
  ASSERT_EQ(quiet.status, 0) << quiet.err;
  EXPECT_TRUE(quiet.out.starts_with("sha256:")) << quiet.out;
  EXPECT_EQ(quiet.out.find("Step"), std::string::npos) << quiet.out;
}

TEST_F(BerthBuild, ContextThatEscapesIsRefusedAndBuildKitAndRemoteAreClearErrors) {
  // A context tar whose entry climbs out of the context directory.
  auto tar = berth::test::sh("cd " + ctx.path() + " && tar cf - --transform 's,^,../../,' data.txt | base64 -w0");
  ASSERT_EQ(tar.status, 0) << tar.err;
  auto bytes = berth::test::run({"base64", "-d"}, tar.out).out;
  auto r = raw_request(d.socket_path(), "POST", "/v1.41/build?t=evil:1", bytes, "application/x-tar");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(d.docker({"images", "-q", "evil:1"}).out, "");
  auto remote = raw_request(d.socket_path(), "POST", "/v1.41/build?remote=https://example.org/x.git", "", "application/x-tar");
  EXPECT_EQ(remote.status, 400);
  EXPECT_NE(remote.body.find("remote build contexts"), std::string::npos) << remote.body;
  auto bk = raw_request(d.socket_path(), "POST", "/v1.41/build?version=2", "", "application/x-tar");
  EXPECT_EQ(bk.status, 400);
  EXPECT_NE(bk.body.find("DOCKER_BUILDKIT=0"), std::string::npos) << bk.body;
}

TEST_F(BerthBuild, ClientThatHangsUpCancelsTheBuildAndLeavesNoContainer) {
  berth::test::write_text(elsewhere / "Dockerfile", "FROM busybox\nRUN echo started && sleep 600\n");
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execl(berth::test::bin("berth").c_str(), "berth", "-H", d.host().c_str(), "build", "-t", "never:1", "-f",
          (elsewhere / "Dockerfile").c_str(), ctx.path().c_str(), nullptr);
    _exit(127);
  }
  ASSERT_GT(pid, 0);
  bool running = berth::test::wait_until([&] { return d.docker({"ps", "-q"}).out != ""; }, std::chrono::seconds(30));
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  ASSERT_TRUE(running) << "the RUN container never started";
  bool gone = berth::test::wait_until([&] { return d.docker({"ps", "-aq"}).out == ""; }, std::chrono::seconds(30));
  EXPECT_TRUE(gone) << "the build's container is still there after its client went away:\n" << d.docker({"ps", "-a"}).out;
  EXPECT_EQ(d.docker({"images", "-q", "never:1"}).out, "");
}

TEST_F(BerthBuild, BuildContainerLeftByAKilledBerthdIsRemovedAtRestart) {
  berth::test::write_text(elsewhere / "Dockerfile", "FROM busybox\nCOPY data.txt /\nRUN echo started && sleep 600\n");
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execl(berth::test::bin("berth").c_str(), "berth", "-H", d.host().c_str(), "build", "-t", "never:1", "-f",
          (elsewhere / "Dockerfile").c_str(), ctx.path().c_str(), nullptr);
    _exit(127);
  }
  ASSERT_GT(pid, 0);
  std::string id;
  bool running = berth::test::wait_until([&] { return (id = d.docker({"ps", "-q", "--no-trunc"}).out) != ""; },
                                         std::chrono::seconds(30));
  if (!id.empty()) id.pop_back();
  auto pid_text = d.docker({"inspect", "-f", "{{.State.Pid}}", id}).out;
  // Its cgroups, wherever the hierarchy puts them (v1 controllers, the v2 mount).
  auto cgroups = [&] {
    std::vector<std::string> found;
    for (auto& e : std::filesystem::directory_iterator("/sys/fs/cgroup"))
      if (auto p = e.path() / "berth" / id; !id.empty() && std::filesystem::exists(p)) found.push_back(p);
    if (auto p = std::filesystem::path("/sys/fs/cgroup/berth") / id; !id.empty() && std::filesystem::exists(p))
      found.push_back(p);
    return found;
  };
  auto cgroups_before = cgroups();
  d.kill9();
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  ASSERT_TRUE(running) << "the RUN container never started";
  ASSERT_FALSE(cgroups_before.empty()) << "no cgroup found for " << id;
  int run_pid = std::atoi(pid_text.c_str());
  ASSERT_GT(run_pid, 0) << pid_text;
  ASSERT_EQ(kill(run_pid, 0), 0) << "the RUN's process died with berthd: the test proves nothing";

  ASSERT_TRUE(d.start()) << d.log();
  EXPECT_EQ(d.docker({"ps", "-aq"}).out, "") << "the interrupted build's container is still there";
  bool gone = berth::test::wait_until([&] { return kill(run_pid, 0) != 0; }, std::chrono::seconds(30));
  EXPECT_TRUE(gone) << "the RUN's process " << run_pid << " still runs";
  EXPECT_TRUE(cgroups().empty());
  auto mounts = berth::test::read_text("/proc/self/mountinfo");
  EXPECT_EQ(mounts.find(id), std::string::npos) << mounts;
  EXPECT_EQ(mounts.find("build-view-"), std::string::npos) << mounts;
  std::vector<std::string> tmp;
  for (auto& e : std::filesystem::directory_iterator(d.path("data/tmp"))) tmp.push_back(e.path().filename());
  EXPECT_EQ(tmp, std::vector<std::string>{}) << "staging left in the image root's tmp/";
  EXPECT_EQ(d.docker({"images", "-q", "never:1"}).out, "");
}

TEST_F(BerthBuild, RunMountSourceThatEscapesAndUnknownTypesAreRefused) {
  std::filesystem::create_symlink("../../../../../../etc", ctx / "up");
  struct Case {
    std::string mount, message;
  } cases[] = {
      {"type=bind,source=../x,target=/x", "forbidden path outside the build context: ../x"},
      {"type=bind,source=up/passwd,target=/x", "leads outside its root"},
      {"type=bind,from=busybox,source=../../etc,target=/x", "forbidden path outside the build context"},
      {"type=nfs,target=/x", "unsupported mount type \"nfs\""},
      {"type=secret,id=a,target=/x", "mount type \"secret\" is not supported"},
      {"type=cache,target=/x,from=busybox", "from= and source= are not supported"},
  };
  for (auto& c : cases) {
    auto r = berth({"build", "-t", "evil:1", "-f", "-", ctx.path()},
                   "FROM busybox\nRUN --mount=" + c.mount + " cat /x/passwd\n");
    EXPECT_NE(r.status, 0) << c.mount;
    EXPECT_NE(r.err.find("line 2"), std::string::npos) << c.mount << ": " << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.mount << ": " << r.err;
    EXPECT_EQ(r.out.find("root:x:0:0"), std::string::npos) << c.mount << ": the host's passwd was read";
  }
  EXPECT_EQ(d.docker({"images", "-q", "evil:1"}).out, "");
  EXPECT_EQ(d.docker({"ps", "-aq"}).out, "");
}

TEST_F(BerthBuild, IndependentStagesRunAtOnceAndAFailureStopsTheOthers) {
  // Each stage waits (bounded) for the other's mark in a shared cache mount: one after the
  // other, the first would give up with exit 9.
  auto meet = [](const char* mine, const char* other) {
    return std::string("RUN --mount=type=cache,id=meet,target=/m touch /m/") + mine +
           " && i=0; while [ ! -e /m/" + other + " ]; do i=$((i+1)); [ $i -lt 300 ] || exit 9; sleep 0.1; done\n";
  };
  std::string df = "FROM busybox AS a\n" + meet("a", "b") + "FROM busybox AS b\n" + meet("b", "a") +
                   "FROM busybox\nCOPY --from=a /etc/passwd /a\nCOPY --from=b /etc/passwd /b\n";
  auto r = berth({"build", "-t", "both:1", "-f", "-", ctx.path()}, df);
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  for (const char* step : {"Step 1/7 : FROM busybox AS a", "Step 3/7 : FROM busybox AS b", "Step 5/7 : FROM busybox"})
    EXPECT_NE(r.out.find(step), std::string::npos) << step << " not in\n" << r.out;
  EXPECT_EQ(d.docker({"run", "--rm", "both:1", "sh", "-c", "ls /a /b"}).out, "/a\n/b\n");

  // A stage that fails stops its sibling's long RUN: the build ends with the failure's error.
  auto bad = berth({"build", "-t", "bad:1", "-f", "-", ctx.path()},
                   "FROM busybox AS slow\nRUN sleep 600\nFROM busybox AS broken\nRUN exit 3\n"
                   "FROM busybox\nCOPY --from=slow /etc/passwd /s\nCOPY --from=broken /etc/passwd /b\n");
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("returned a non-zero code: 3"), std::string::npos) << bad.err;
  EXPECT_EQ(d.docker({"ps", "-aq"}).out, "") << "the sibling's RUN container is left";
  EXPECT_EQ(d.docker({"images", "-q", "bad:1"}).out, "");
}

TEST_F(BerthBuild, AddUnpacksALocalArchiveAndCopiesOtherFiles) {
  std::filesystem::create_directories(elsewhere / "pkg/sub");
  berth::test::write_text(elsewhere / "pkg/sub/a.txt", "from the archive\n");
  auto tar = berth::test::sh("tar -C " + elsewhere.path() + " -czf " + (ctx / "pkg.tar.gz") + " pkg");
  ASSERT_EQ(tar.status, 0) << tar.err;
  auto r = berth({"build", "-t", "added:1", "-f", "-", ctx.path()},
                 "FROM busybox\nADD pkg.tar.gz /opt/\nADD data.txt /opt/data.txt\n");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  auto run = d.docker({"run", "--rm", "added:1", "sh", "-c", "ls /opt; cat /opt/pkg/sub/a.txt /opt/data.txt"});
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.out, "data.txt\npkg\nfrom the archive\npayload\n");
  auto hist = d.docker({"history", "--no-trunc", "--format", "{{.CreatedBy}}", "added:1"});
  EXPECT_NE(hist.out.find("ADD file:"), std::string::npos) << hist.out;

  // An archive whose entry climbs out of the destination fails the build and writes nothing.
  auto evil = berth::test::sh("tar -C " + elsewhere.path() + " --transform 's,^,../../../,' -cf " +
                              (ctx / "evil.tar") + " pkg/sub/a.txt");
  ASSERT_EQ(evil.status, 0) << evil.err;
  auto bad = berth({"build", "-t", "evil:1", "-f", "-", ctx.path()}, "FROM busybox\nADD evil.tar /opt/x/\n");
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("line 2"), std::string::npos) << bad.err;
  EXPECT_EQ(d.docker({"images", "-q", "evil:1"}).out, "");
  EXPECT_FALSE(std::filesystem::exists(d.path("data/tmp/pkg"))) << "an entry was written outside the staging tree";
}
