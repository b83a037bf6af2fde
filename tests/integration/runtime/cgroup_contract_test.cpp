// The CgroupManager contract: every layout (v1, v2, hybrid) passes the same suite against the
// real kernel. On this host v2 is the controller-less cgroup2 mount, so the shared tests use
// what every layout has there: directories, process moves, freezing, device rules, removal.
#include <fstream>
#include <sstream>

#include "cgroup_test_support.hpp"
#include "common/fs.hpp"

namespace berth::test {
namespace {

using nlohmann::json;

template <class L>
class CgroupContract : public CgroupFixture<L> {};

using Layouts = ::testing::Types<V1, V2, Hybrid>;
TYPED_TEST_SUITE(CgroupContract, Layouts);

int idle_child(int in, int) {
  char c;
  while (::read(in, &c, 1) == 1) {}
  return 0;
}

TYPED_TEST(CgroupContract, CreateIsIdempotentAndDestroyLeavesNothing) {
  ASSERT_TRUE(this->mgr->create(json::object()));
  auto again = this->mgr->create(json::object());
  ASSERT_TRUE(again) << again.error().what();
  EXPECT_EQ(this->mgr->layout(), TypeParam::kLayout);
  for (auto& d : this->dirs(this->path)) EXPECT_TRUE(is_dir(d)) << d;
  ASSERT_TRUE(this->mgr->destroy());
  for (auto& d : this->dirs(this->path)) EXPECT_FALSE(this->path_exists(d)) << d;
  auto twice = this->mgr->destroy();
  EXPECT_TRUE(twice) << twice.error().what();
}

TYPED_TEST(CgroupContract, AddedProcessIsListedAndSeesItsCgroup) {
  ASSERT_TRUE(this->mgr->create(json::object()));
  Child child(idle_child);
  auto a = this->mgr->add_process(child.pid());
  ASSERT_TRUE(a) << a.error().what();
  auto p = this->mgr->pids();
  ASSERT_TRUE(p) << p.error().what();
  EXPECT_EQ(*p, std::vector<pid_t>{child.pid()});
  // Every hierarchy of the layout shows the path in /proc/PID/cgroup.
  std::string own = *read_file("/proc/" + std::to_string(child.pid()) + "/cgroup");
  size_t lines = 0, hits = 0;
  std::istringstream in(own);
  std::string line;
  while (std::getline(in, line)) {
    bool v2_line = line.starts_with("0::");
    if (v2_line ? this->roots.unified.empty() : this->roots.v1.empty()) continue;
    ++lines;
    if (line.ends_with(":" + this->path)) ++hits;
  }
  EXPECT_GT(lines, 0u);
  EXPECT_EQ(hits, lines) << own;
  child.go();
}

TYPED_TEST(CgroupContract, FreezeStopsTheProcessesAndThawResumesThem) {
  ASSERT_TRUE(this->mgr->create(json::object()));
  // Echoes every byte back, so progress is observable.
  Child child([](int in, int out) {
    char c;
    while (::read(in, &c, 1) == 1) (void)!::write(out, &c, 1);
    return 0;
  });
  ASSERT_TRUE(this->mgr->add_process(child.pid()));
  child.go();
  child.send('a');
  ASSERT_EQ(child.receive(std::chrono::seconds(5)), 'a');
  auto f = this->mgr->freeze();
  ASSERT_TRUE(f) << f.error().what();
  EXPECT_TRUE(*this->mgr->frozen());
  child.send('b');
  EXPECT_EQ(child.receive(std::chrono::milliseconds(300)), -1) << "a frozen process answered";
  auto t = this->mgr->thaw();
  ASSERT_TRUE(t) << t.error().what();
  EXPECT_FALSE(*this->mgr->frozen());
  EXPECT_EQ(child.receive(std::chrono::seconds(5)), 'b');
}

TYPED_TEST(CgroupContract, DestroyIsRefusedWhileProcessesRemain) {
  ASSERT_TRUE(this->mgr->create(json::object()));
  Child child(idle_child);
  ASSERT_TRUE(this->mgr->add_process(child.pid()));
  auto d = this->mgr->destroy();
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().kind, ErrorKind::Conflict) << d.error().what();
  for (auto& dir : this->dirs(this->path)) EXPECT_TRUE(is_dir(dir)) << dir;
  ::kill(child.pid(), SIGKILL);
  ASSERT_NE(child.wait(std::chrono::seconds(5)), -1);
  ASSERT_TRUE(wait_until([&] { return this->mgr->pids()->empty(); }, std::chrono::seconds(5)));
  auto again = this->mgr->destroy();
  ASSERT_TRUE(again) << again.error().what();
  for (auto& dir : this->dirs(this->path)) EXPECT_FALSE(this->path_exists(dir)) << dir;
}

TYPED_TEST(CgroupContract, DestroyRemovesNestedCgroupsDeepestFirst) {
  ASSERT_TRUE(this->mgr->create(json::object()));
  // What a container's own init (systemd, a nested runtime) may create below its cgroup.
  for (auto& d : this->dirs(this->path)) ASSERT_TRUE(mkdir_p(d + "/sub/deeper")) << d;
  auto r = this->mgr->destroy();
  ASSERT_TRUE(r) << r.error().what();
  for (auto& d : this->dirs(this->path)) EXPECT_FALSE(this->path_exists(d)) << d;
}

TYPED_TEST(CgroupContract, DestroyRemovesTheParentsItCreatedAndNoOthers) {
  // The test parent exists before; <path> and <path>/x are created for the container.
  for (auto& d : this->dirs(this->parent)) ASSERT_TRUE(mkdir_p(d)) << d;
  auto m = runtime::make_cgroup_manager(this->roots, this->path + "/x/c", "c", false);
  ASSERT_TRUE(m) << m.error().what();
  ASSERT_TRUE((*m)->create(json::object()));
  // The saved form carries them, so a later `delete` (another process) removes them too.
  auto loaded = runtime::load_cgroup_manager((*m)->save());
  ASSERT_TRUE(loaded) << loaded.error().what();
  auto r = (*loaded)->destroy();
  ASSERT_TRUE(r) << r.error().what();
  for (auto& d : this->dirs(this->path)) EXPECT_FALSE(this->path_exists(d)) << d;
  for (auto& d : this->dirs(this->parent)) EXPECT_TRUE(is_dir(d)) << d << " existed before and must stay";
}

TYPED_TEST(CgroupContract, SharedParentsStayWhileInUse) {
  auto a = runtime::make_cgroup_manager(this->roots, this->path + "/a", "a", false);
  auto b = runtime::make_cgroup_manager(this->roots, this->path + "/b", "b", false);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE((*a)->create(json::object()));
  ASSERT_TRUE((*b)->create(json::object()));
  ASSERT_TRUE((*a)->destroy());  // created <path>, but b still lives there
  for (auto& d : this->dirs(this->path + "/b")) EXPECT_TRUE(is_dir(d)) << d;
  ASSERT_TRUE((*b)->destroy());
}

TYPED_TEST(CgroupContract, SavedStateRebuildsAnEquivalentManager) {
  ASSERT_TRUE(this->mgr->create(json::object()));
  Child child(idle_child);
  ASSERT_TRUE(this->mgr->add_process(child.pid()));
  auto loaded = runtime::load_cgroup_manager(json::parse(this->mgr->save().dump()));
  ASSERT_TRUE(loaded) << loaded.error().what();
  EXPECT_EQ((*loaded)->layout(), TypeParam::kLayout);
  EXPECT_EQ((*loaded)->path(), this->mgr->path());
  EXPECT_EQ((*loaded)->save(), this->mgr->save());
  EXPECT_EQ(*(*loaded)->pids(), std::vector<pid_t>{child.pid()});
  ASSERT_TRUE((*loaded)->freeze());
  EXPECT_TRUE(*this->mgr->frozen());
  ASSERT_TRUE((*loaded)->thaw());
  child.go();
}

TYPED_TEST(CgroupContract, InvalidResourcesCreateNothing) {
  for (auto bad : {json{{"memory", {{"limit", -5}}}}, json{{"devices", {{{"allow", true}, {"type", "z"}}}}},
                   json{{"cpu", {{"quota", 10}}}}, json{{"unified", {{"nope.max", "1"}}}}}) {
    auto r = this->mgr->create(bad);
    ASSERT_FALSE(r) << bad.dump();
    EXPECT_NE(r.error().message.find("linux.resources."), std::string::npos) << r.error().what();
    for (auto& d : this->dirs(this->path)) EXPECT_FALSE(this->path_exists(d)) << d << " created for " << bad.dump();
  }
}

TYPED_TEST(CgroupContract, DeviceRulesAreEnforced) {
  // Docker's shape: deny everything, then allow /dev/null (1:3) only.
  auto r = this->mgr->create(json::parse(R"({"devices": [{"allow": false, "access": "rwm"},
      {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
      {"allow": true, "type": "c", "major": 1, "minor": 9, "access": "r"}]})"));
  ASSERT_TRUE(r) << r.error().what();
  Child child([](int, int) {
    int null_fd = ::open("/dev/null", O_WRONLY);
    if (null_fd < 0) return 10;
    if (::open("/dev/zero", O_RDONLY) >= 0) return 11;   // 1:5: denied
    if (errno != EPERM) return 12;
    if (::open("/dev/urandom", O_RDONLY) < 0) return 13;  // 1:9 read: allowed
    if (::open("/dev/urandom", O_WRONLY) >= 0) return 14; // 1:9 write: denied
    return 0;
  });
  ASSERT_TRUE(this->mgr->add_process(child.pid()));
  child.go();
  int st = child.wait(std::chrono::seconds(10));
  ASSERT_TRUE(WIFEXITED(st)) << st;
  EXPECT_EQ(WEXITSTATUS(st), 0) << "10: /dev/null refused, 11: /dev/zero allowed, 12: wrong errno, 13: urandom read refused, 14: urandom write allowed";
  // An update replaces the rules rather than adding to them.
  auto u = this->mgr->update(json::parse(R"({"devices": [{"allow": true, "access": "rwm"}]})"));
  ASSERT_TRUE(u) << u.error().what();
  Child after([](int, int) { return ::open("/dev/zero", O_RDONLY) >= 0 ? 0 : 20; });
  ASSERT_TRUE(this->mgr->add_process(after.pid()));
  after.go();
  st = after.wait(std::chrono::seconds(10));
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 0) << "/dev/zero still denied after allowing all";
}

TYPED_TEST(CgroupContract, StatsCountCpuTime) {
  ASSERT_TRUE(this->mgr->create(json::object()));
  Child child([](int, int out) {
    volatile uint64_t x = 0;
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
    while (std::chrono::steady_clock::now() < end) x = x + 1;
    char c = 'd';
    (void)!::write(out, &c, 1);
    return 0;
  });
  ASSERT_TRUE(this->mgr->add_process(child.pid()));
  child.go();
  ASSERT_EQ(child.receive(std::chrono::seconds(10)), 'd');
  auto s = this->mgr->stats();
  ASSERT_TRUE(s) << s.error().what();
  json j = *s;
  ASSERT_TRUE(j["cpu"]["usage"]["total"].is_number()) << j.dump();
  EXPECT_GT(j["cpu"]["usage"]["total"].get<uint64_t>(), 10'000'000u) << "less than 10ms after a 50ms spin: " << j.dump();
}

}  // namespace
}  // namespace berth::test
