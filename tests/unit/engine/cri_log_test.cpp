// The kubelet's CRI log format: the records the shim writes (F/P tags, the time as Go's
// RFC3339Nano), read back for `docker logs`; the cri driver that only the CRI server may ask
// for; the writer making the kubelet's directory and reopening the path after a rename.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/fs.hpp"
#include "engine/cri_log.hpp"
#include "engine/log_config.hpp"
#include "engine/log_reader.hpp"
#include "engine/log_writer.hpp"

using namespace berth::engine;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kT = "2026-11-30T13:45:01.5Z";

// A fresh directory of the test's own, removed with everything in it.
struct CriLogDir {
  std::string path = mkdtemp_path();
  ~CriLogDir() { (void)berth::remove_all(path); }
  static std::string mkdtemp_path() {
    std::string t = fs::temp_directory_path() / "berth-crilog-XXXXXX";
    return mkdtemp(t.data()) ? t : "";
  }
};

std::string resolve_error(const berth::Result<LogConfig>& r) { return r ? "" : r.error().what(); }

}  // namespace

TEST(CriLog, RecordsEndLinesWithFAndPiecesWithP) {
  EXPECT_EQ(cri_log_record_of(kT, "stdout", "hello world\n"), std::string(kT) + " stdout F hello world\n");
  EXPECT_EQ(cri_log_record_of(kT, "stderr", "\n"), std::string(kT) + " stderr F \n");
  // A TTY's "\r\n" is a line end as a whole, as containerd takes it; a lone '\r' is content.
  EXPECT_EQ(cri_log_record_of(kT, "stdout", "prompt\r\n"), std::string(kT) + " stdout F prompt\n");
  EXPECT_EQ(cri_log_record_of(kT, "stdout", "a\rb\n"), std::string(kT) + " stdout F a\rb\n");
  // A piece of a longer line, or the bytes before EOF: P (the '\n' ends the record only).
  EXPECT_EQ(cri_log_record_of(kT, "stdout", "a long li"), std::string(kT) + " stdout P a long li\n");
  EXPECT_EQ(cri_log_record_of(kT, "stdout", "ends\r"), std::string(kT) + " stdout P ends\r\n");
  EXPECT_EQ(cri_log_record(kT, "stderr", CriTag::Partial, "x y  z"), std::string(kT) + " stderr P x y  z\n");
}

TEST(CriLog, TimesAreGosRfc3339Nano) {
  using std::chrono::nanoseconds;
  std::chrono::system_clock::time_point t{nanoseconds(1764454546000000007LL)};
  EXPECT_EQ(rfc3339_nano_trimmed(t), "2025-11-29T22:15:46.000000007Z");
  EXPECT_EQ(rfc3339_nano_trimmed(std::chrono::system_clock::time_point{nanoseconds(1764454546120000000LL)}),
            "2025-11-29T22:15:46.12Z");
  EXPECT_EQ(rfc3339_nano_trimmed(std::chrono::system_clock::time_point{nanoseconds(1764454546000000000LL)}),
            "2025-11-29T22:15:46Z");
  EXPECT_EQ(log_time_ns("2025-11-29T22:15:46.12Z").value(), 1764454546120000000LL);
}

TEST(CriLog, ParsedBackAsTheKubeletReadsThem) {
  auto f = parse_cri_log_line(std::string(kT) + " stdout F hello world");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->stream, "stdout");
  EXPECT_EQ(f->log, "hello world\n");
  EXPECT_EQ(f->time, kT);
  auto p = parse_cri_log_line(std::string(kT) + " stderr P piece ");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->stream, "stderr");
  EXPECT_EQ(p->log, "piece ");
  auto empty = parse_cri_log_line(std::string(kT) + " stdout F ");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->log, "\n");
  // Tags after a ':' are for the future: only the first counts.
  EXPECT_EQ(parse_cri_log_line(std::string(kT) + " stdout P:x y")->log, "y");
  for (std::string bad : {std::string(), std::string("torn"), std::string(kT) + " stdout", std::string(kT) + " stdout F",
                          std::string(kT) + " stdin F x", std::string(kT) + " stdout X x", std::string(" stdout F x")})
    EXPECT_FALSE(parse_cri_log_line(bad)) << bad;
}

TEST(CriLog, DriverOnlyForTheCriAndOnlyAtAnAbsolutePath) {
  json req = {{"Type", "cri"}, {"Config", {{"path", "/var/log/pods/x/app/0.log"}}}};
  // The Docker API's requests (and daemon.json) do not know it, in dockerd's words.
  EXPECT_EQ(resolve_error(resolve_log_config(req, "json-file", {})), "logger: no log driver named 'cri' is registered");
  auto c = resolve_log_config(req, "json-file", {{"max-size", "1m"}}, true);
  ASSERT_TRUE(c) << c.error().what();
  EXPECT_EQ(c->type, "cri");
  EXPECT_EQ(c->config, (std::map<std::string, std::string>{{"path", "/var/log/pods/x/app/0.log"}}));  // no daemon opts
  auto file = log_file_for(*c, "/data/containers/id", "id");
  ASSERT_TRUE(file);
  EXPECT_EQ(file->format, LogFormat::Cri);
  EXPECT_EQ(file->path, "/var/log/pods/x/app/0.log");
  EXPECT_EQ(log_config_from_json(log_config_json(*c)).config, c->config);

  req["Config"]["path"] = "var/log/x.log";
  EXPECT_EQ(resolve_error(resolve_log_config(req, "json-file", {}, true)), "log driver cri: path must be an absolute path");
  req["Config"]["path"] = "/var/log/../../etc/x";
  EXPECT_EQ(resolve_error(resolve_log_config(req, "json-file", {}, true)),
            "log driver cri: path /var/log/../../etc/x must not contain '..' or NUL");
  req["Config"] = {{"path", "/var/log/x.log"}, {"max-size", "1m"}};
  EXPECT_EQ(resolve_error(resolve_log_config(req, "json-file", {}, true)), "unknown log opt 'max-size' for log driver cri");
  req["Config"] = json::object();
  EXPECT_EQ(resolve_error(resolve_log_config(req, "json-file", {}, true)), "log driver cri: path must be an absolute path");
}

TEST(CriLog, WriterMakesTheDirectoryAndReopensAfterARename) {
  CriLogDir d;
  ASSERT_FALSE(d.path.empty());
  std::string path = d.path + "/pods/default_web/app/0.log";  // the directories do not exist yet
  LogConfig cfg{"cri", {{"path", path}}};
  auto w = open_log_writer(cfg, d.path + "/container", "id");
  ASSERT_TRUE(w) << w.error().what();
  struct stat st {};
  ASSERT_EQ(stat((d.path + "/pods/default_web/app").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  (*w)->write("stdout", "one\n");
  (*w)->write("stderr", "a piece");
  (*w)->write("stderr", " and its end\n");
  // The kubelet's rotation: rename, then reopen. Until the reopen, records go to the old file.
  fs::rename(path, path + ".20261130-134501");
  (*w)->write("stdout", "two\n");
  ASSERT_TRUE((*w)->reopen());
  (*w)->write("stdout", "three\n");
  (*w)->sync();

  auto records = [](const std::string& p) {
    std::vector<std::string> out;
    auto text = berth::read_file(p);
    EXPECT_TRUE(text) << p;
    size_t at = 0, nl;
    while (text && (nl = text->find('\n', at)) != std::string::npos) {
      auto sp = text->find(' ', at);  // the time goes: the rest is exact
      EXPECT_TRUE(log_time_ns(text->substr(at, sp - at))) << text->substr(at, nl - at);
      out.push_back(text->substr(sp + 1, nl - sp - 1));
      at = nl + 1;
    }
    return out;
  };
  EXPECT_EQ(records(path + ".20261130-134501"),
            (std::vector<std::string>{"stdout F one", "stderr P a piece", "stderr F  and its end", "stdout F two"}));
  EXPECT_EQ(records(path), (std::vector<std::string>{"stdout F three"}));

  // docker logs reads the current file back.
  auto file = log_file_for(cfg, d.path + "/container", "id");
  ASSERT_TRUE(file);
  auto r = LogReader::open(d.path + "/container", *file, false, false);
  ASSERT_TRUE(r) << r.error().what();
  auto all = r->read_tail(-1);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].log, "three\n");

  // A reopen that cannot open the path keeps writing the file it has.
  std::string app = d.path + "/pods/default_web/app";
  fs::rename(app, app + ".old");
  ASSERT_TRUE(berth::create_file(app, "not a directory"));
  auto failed = (*w)->reopen();
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().what().find("reopen log " + path), std::string::npos) << failed.error().what();
  (*w)->write("stdout", "four\n");
  EXPECT_EQ(records(app + ".old/0.log"), (std::vector<std::string>{"stdout F three", "stdout F four"}));
}
