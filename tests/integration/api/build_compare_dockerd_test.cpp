// The same Dockerfile built by berthd and by a private dockerd's classic builder
// (DOCKER_BUILDKIT=0, RUN without a network on both): the images' configs, their history
// lines (dockerd's content hashes included) and their number of layers must be the same.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "api/berthd_fixture.hpp"
#include "api/busybox_archive.hpp"
#include "api/dockerd_fixture.hpp"

using namespace berth::api::test;
using nlohmann::json;

namespace {

// No heredocs: the classic builder does not read them.
const char* kClassicDockerfile = R"(ARG BASE=busybox
FROM ${BASE} AS builder
ARG GREETING=hello
WORKDIR /src
COPY app.sh ./
RUN chmod 755 app.sh && echo "$GREETING from build" > built.txt

FROM busybox
MAINTAINER someone <someone@example.org>
LABEL org.example.name="demo app" version=1
ENV APP_HOME=/app PATH=/app/bin:/bin
ARG FLAVOUR=plain
RUN echo "appuser:x:1234:1234::/app:/bin/sh" >> /etc/passwd && echo "$FLAVOUR" > /flavour
WORKDIR $APP_HOME
COPY --from=builder /src/ ./src/
COPY --chown=1234:1234 conf/ conf/
COPY app.sh conf/x.conf /multi/
COPY app.sh /etc
VOLUME /data
EXPOSE 8080 53/udp
STOPSIGNAL SIGUSR1
HEALTHCHECK --interval=30s --timeout=3s --retries=2 CMD true
SHELL ["/bin/sh", "-e", "-c"]
ONBUILD RUN echo child
USER appuser
ENTRYPOINT ["/app/src/app.sh"]
CMD ["--serve"]
)";

const char* kConfigKeys[] = {"Cmd", "Entrypoint", "Env", "ExposedPorts", "Healthcheck", "Labels", "OnBuild",
                             "Shell", "StopSignal", "User", "Volumes", "WorkingDir"};

class BuildCompare : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    berthd_ = std::make_unique<Berthd>();
    dockerd_ = std::make_unique<Dockerd>();
    if (!berthd_->ready() || !dockerd_->ready() || busybox_archive().empty()) return;
    loaded_ = berthd_->docker({"load", "-i", busybox_archive()}).status == 0 &&
              dockerd_->docker({"load", "-i", busybox_archive()}).status == 0;
  }
  static void TearDownTestSuite() {
    dockerd_.reset();
    berthd_.reset();
  }
  void SetUp() override {
    if (!berth::test::have_program("dockerd")) GTEST_SKIP() << "dockerd (package docker.io) is not installed";
    ASSERT_TRUE(berthd_->ready()) << berthd_->log();
    ASSERT_TRUE(dockerd_->ready()) << dockerd_->log();
    ASSERT_TRUE(loaded_) << "busybox did not load into both daemons";
    std::filesystem::create_directories(ctx / "conf");
    berth::test::write_text(ctx / "Dockerfile", kClassicDockerfile);
    berth::test::write_text(ctx / "app.sh", "#!/bin/sh\necho app\n");
    berth::test::write_text(ctx / "conf/x.conf", "setting=1\n");
  }
  berth::test::CmdResult build(const std::string& host, const std::string& config) {
    return berth::test::run({"env", "DOCKER_BUILDKIT=0", GetParam(), "--config", config, "-H", host, "build",
                             "--network", "none", "--build-arg", "FLAVOUR=spicy", "--label", "extra=1", "-t", "cmp:1",
                             ctx.path()},
                            "", std::chrono::seconds(300));
  }
  static json image(const berth::test::CmdResult& r) {
    auto j = json::parse(r.out, nullptr, false);
    return j.is_array() && !j.empty() ? j[0] : json();
  }
  // Each history line, content hashes included (berth computes dockerd's). Sizes are left out:
  // berth's are the layer tar's bytes, dockerd's the files' (which layers exist is compared
  // through RootFS).
  static std::vector<std::string> history(const std::string& tsv) {
    std::vector<std::string> out;
    std::istringstream in(tsv);
    for (std::string line; std::getline(in, line);) {
      auto tab = line.rfind('\t');
      if (tab == std::string::npos) continue;
      std::string by = line.substr(0, tab);
      // dockerd 25 and later print HEALTHCHECK's start interval; the 20.10 here does not.
      if (auto h = by.find("\"0s\" \"0s\" '"); h != std::string::npos) by.erase(h, 5);
      out.push_back(by);
    }
    return out;
  }
  static inline std::unique_ptr<Berthd> berthd_;
  static inline std::unique_ptr<Dockerd> dockerd_;
  static inline bool loaded_ = false;
  berth::test::TempDir ctx{"berth-build-cmp"};
};

}  // namespace

TEST_P(BuildCompare, SameConfigHistoryAndLayersAsTheClassicBuilder) {
  auto b = build(berthd_->host(), berthd_->path("docker-config"));
  ASSERT_EQ(b.status, 0) << b.out << b.err;
  auto d = build(dockerd_->host(), "/tmp/berth-cmp-docker-config");
  ASSERT_EQ(d.status, 0) << d.out << d.err << dockerd_->log();

  auto bi = image(berthd_->docker({"image", "inspect", "cmp:1"}, GetParam()));
  auto di = image(dockerd_->docker({"image", "inspect", "cmp:1"}, GetParam()));
  ASSERT_TRUE(bi.is_object() && di.is_object());
  for (const char* k : kConfigKeys) EXPECT_EQ(bi["Config"].value(k, json()), di["Config"].value(k, json())) << k;
  EXPECT_EQ(bi["Author"], di["Author"]);
  EXPECT_EQ(bi["RootFS"]["Layers"].size(), di["RootFS"]["Layers"].size());

  const std::vector<std::string> fmt = {"history", "--no-trunc", "--format", "{{.CreatedBy}}\t", "cmp:1"};
  auto bh = berthd_->docker(fmt, GetParam()), dh = dockerd_->docker(fmt, GetParam());
  ASSERT_EQ(bh.status, 0) << bh.err;
  EXPECT_EQ(history(bh.out), history(dh.out)) << "berthd:\n" << bh.out << "dockerd:\n" << dh.out;

  // A child of it runs its ONBUILD trigger the same way.
  auto child = [&](const std::string& host, const std::string& config) {
    return berth::test::run({"env", "DOCKER_BUILDKIT=0", GetParam(), "--config", config, "-H", host, "build",
                             "--network", "none", "-t", "cmp-child:1", "-"},
                            "FROM cmp:1\nENV CHILD=1\n", std::chrono::seconds(300));
  };
  auto bc = child(berthd_->host(), berthd_->path("docker-config"));
  auto dc = child(dockerd_->host(), "/tmp/berth-cmp-docker-config");
  ASSERT_EQ(bc.status, 0) << bc.out << bc.err;
  ASSERT_EQ(dc.status, 0) << dc.out << dc.err;
  const std::vector<std::string> cfmt = {"history", "--no-trunc", "--format", "{{.CreatedBy}}\t", "cmp-child:1"};
  EXPECT_EQ(history(berthd_->docker(cfmt, GetParam()).out), history(dockerd_->docker(cfmt, GetParam()).out));
  auto bci = image(berthd_->docker({"image", "inspect", "cmp-child:1"}, GetParam()));
  auto dci = image(dockerd_->docker({"image", "inspect", "cmp-child:1"}, GetParam()));
  for (const char* k : kConfigKeys) EXPECT_EQ(bci["Config"].value(k, json()), dci["Config"].value(k, json())) << "child " << k;

  // The built images behave alike.
  const std::vector<std::string> run = {"run", "--rm", "--network", "none", "cmp:1"};
  auto br = berthd_->docker(run, GetParam()), dr = dockerd_->docker(run, GetParam());
  EXPECT_EQ(br.out, dr.out) << br.err << dr.err;
}

INSTANTIATE_TEST_SUITE_P(Clients, BuildCompare, ::testing::Values(kDocker28),
                         [](const auto&) { return std::string("docker28"); });
