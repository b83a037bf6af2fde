// The contract every ContentStore implementation passes (DESIGN.md: one typed suite per interface).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "image/content_store.hpp"
#include "tar_builder.hpp"

using namespace berth::image;

namespace {

struct FileStoreFactory {
  test::TmpDir dir;
  std::unique_ptr<ContentStore> make() { return std::move(*FileContentStore::open(dir.path + "/content")); }
};
struct MemoryStoreFactory {
  std::unique_ptr<ContentStore> make() { return std::make_unique<MemoryContentStore>(); }
};

template <class F>
class ContentStoreContract : public ::testing::Test {
 protected:
  F factory;
  std::unique_ptr<ContentStore> store = factory.make();
};

using Impls = ::testing::Types<FileStoreFactory, MemoryStoreFactory>;
TYPED_TEST_SUITE(ContentStoreContract, Impls);

}  // namespace

TYPED_TEST(ContentStoreContract, PutThenReadBack) {
  auto d = this->store->put("hello");
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, Digest::of("hello"));
  EXPECT_TRUE(this->store->has(*d));
  EXPECT_EQ(*this->store->read(*d), "hello");
  EXPECT_EQ(*this->store->size(*d), 5u);
  auto fd = this->store->open(*d);
  ASSERT_TRUE(fd);
  char buf[16];
  EXPECT_EQ(read(fd->get(), buf, sizeof buf), 5);
}

TYPED_TEST(ContentStoreContract, WrongDigestIsRefusedAndNothingCommitted) {
  auto want = Digest::of("expected");
  auto d = this->store->put("something else", want);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("digest mismatch"), std::string::npos);
  EXPECT_FALSE(this->store->has(want));
  EXPECT_FALSE(this->store->has(Digest::of("something else")));
  EXPECT_TRUE(this->store->list()->empty());
}

TYPED_TEST(ContentStoreContract, TruncatedBlobIsRefused) {
  auto w = *this->store->writer();
  ASSERT_TRUE(w->write("half"));
  auto r = w->commit(Digest::of("half of the blob"), 16);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("size mismatch"), std::string::npos);
  EXPECT_TRUE(this->store->list()->empty());
}

TYPED_TEST(ContentStoreContract, AbortedWriterLeavesNothing) {
  {
    auto w = *this->store->writer();
    ASSERT_TRUE(w->write("partial"));
  }
  EXPECT_TRUE(this->store->list()->empty());
  EXPECT_FALSE(this->store->has(Digest::of("partial")));
}

TYPED_TEST(ContentStoreContract, StreamingWriteAndDuplicate) {
  auto w = *this->store->writer();
  ASSERT_TRUE(w->write("ab"));
  ASSERT_TRUE(w->write("c"));
  EXPECT_EQ(w->written(), 3u);
  auto d = w->commit(Digest::of("abc"));
  ASSERT_TRUE(d);
  EXPECT_FALSE(w->commit());  // only once
  ASSERT_TRUE(this->store->put("abc", *d));  // same blob again is fine
  EXPECT_EQ(this->store->list()->size(), 1u);
}

TYPED_TEST(ContentStoreContract, RemoveAndMissing) {
  auto d = *this->store->put("x");
  ASSERT_TRUE(this->store->remove(d));
  EXPECT_FALSE(this->store->has(d));
  auto r = this->store->read(d);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, berth::ErrorKind::NotFound);
  EXPECT_FALSE(this->store->remove(d));
  EXPECT_FALSE(this->store->open(d));
}

TEST(FileContentStore, IngestOfDeadWriterIsCleanedOnOpen) {
  test::TmpDir dir;
  auto root = dir.path + "/content";
  ASSERT_TRUE(FileContentStore::open(root));
  // A pid that cannot exist (above pid_max) stands for a crashed writer.
  std::string stale = root + "/ingest/99999999-0";
  FILE* f = fopen(stale.c_str(), "w");
  fputs("partial", f);
  fclose(f);
  ASSERT_TRUE(FileContentStore::open(root));
  EXPECT_FALSE(std::filesystem::exists(stale));
}
