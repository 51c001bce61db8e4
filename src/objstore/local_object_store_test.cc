#include "objstore/local_object_store.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "objstore/test_temp_dir.h"

namespace sh {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
}

// Every file name under dir that starts with ".tmp-".
std::vector<std::string> TempFilesUnder(const std::string& dir) {
  std::vector<std::string> found;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.path().filename().string().starts_with(".tmp-")) found.push_back(e.path());
  }
  return found;
}

class LocalObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    root_ = tmp_.path() + "/data/objects";
    auto s = LocalObjectStore::Open(root_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }

  TempDir tmp_;
  std::string root_;
  std::unique_ptr<LocalObjectStore> store_;
};

TEST_F(LocalObjectStoreTest, OpenCreatesRootAndDescribesIt) {
  EXPECT_TRUE(fs::is_directory(root_));
  EXPECT_EQ(store_->Describe(), "file://" + root_);
  WriteFile(tmp_.path() + "/plain", "x");
  EXPECT_FALSE(LocalObjectStore::Open(tmp_.path() + "/plain").ok());
}

TEST_F(LocalObjectStoreTest, KeysAreFilesUnderRoot) {
  ASSERT_TRUE(store_->Put("topics/t/0/seg_1.bin", AsBytes("segment bytes")).ok());
  EXPECT_EQ(ReadFile(root_ + "/topics/t/0/seg_1.bin"), "segment bytes");
  EXPECT_TRUE(TempFilesUnder(root_).empty());
}

TEST_F(LocalObjectStoreTest, BadKeysAreRejected) {
  const std::vector<std::string> bad = {"",
                                        "/abs",
                                        "a//b",
                                        "a/",
                                        "..",
                                        "../x",
                                        "a/../b",
                                        ".",
                                        "a/./b",
                                        ".tmp-x",
                                        "a/.tmp-y",
                                        std::string("a\0b", 3),
                                        "../../escape"};
  for (const std::string& key : bad) {
    SCOPED_TRACE("key '" + key + "'");
    EXPECT_EQ(store_->Put(key, AsBytes("x")).code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(store_->Get(key).status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(store_->GetRange(key, 0, 1).status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(store_->Size(key).status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(store_->Delete(key).code(), ErrorCode::kInvalidArgument);
  }
  // Nothing was written inside or outside the root.
  EXPECT_TRUE(fs::is_empty(root_));
  EXPECT_FALSE(fs::exists(tmp_.path() + "/data/x"));
  EXPECT_FALSE(fs::exists(tmp_.path() + "/escape"));
  // Dots inside a segment are fine.
  EXPECT_TRUE(store_->Put("a..b/.hidden/x.tmp-", AsBytes("ok")).ok());
  EXPECT_TRUE(store_->Get("a..b/.hidden/x.tmp-").ok());
  // A traversal prefix lists nothing rather than another directory.
  auto list = store_->List("../");
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
}

TEST_F(LocalObjectStoreTest, CrashLeftTempFileIsNotListed) {
  ASSERT_TRUE(store_->Put("t/0/a", AsBytes("real")).ok());
  // What a Put that crashed before its rename leaves behind.
  WriteFile(root_ + "/t/0/.tmp-0123456789abcdef-7", "half a segm");
  WriteFile(root_ + "/.tmp-top-level", "junk");
  auto list = store_->List("");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].key, "t/0/a");
  list = store_->List("t/0/.tmp");
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
  // The store keeps working around it.
  ASSERT_TRUE(store_->Put("t/0/b", AsBytes("b")).ok());
  ASSERT_TRUE(store_->Delete("t/0/a").ok());
  list = store_->List("t/");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].key, "t/0/b");
}

TEST_F(LocalObjectStoreTest, RemoveStaleTempFilesKeepsObjects) {
  ASSERT_TRUE(store_->Put("t/0/a", AsBytes("real")).ok());
  WriteFile(root_ + "/t/0/.tmp-dead-1", "torn");
  WriteFile(root_ + "/.tmp-dead-2", "torn");
  auto removed = store_->RemoveStaleTempFiles();
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 2u);
  EXPECT_TRUE(TempFilesUnder(root_).empty());
  auto got = store_->Get("t/0/a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(AsString(*got), "real");
  removed = store_->RemoveStaleTempFiles();
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 0u);
}

TEST_F(LocalObjectStoreTest, DataSurvivesReopen) {
  const Bytes big(100'000, 0x5a);
  ASSERT_TRUE(store_->Put("topics/t/0/seg_0.bin", big).ok());
  ASSERT_TRUE(store_->Put("wal/1/0001.wal", AsBytes("wal")).ok());
  ASSERT_TRUE(store_->Put("wal/1/0002.wal", AsBytes("gone")).ok());
  ASSERT_TRUE(store_->Delete("wal/1/0002.wal").ok());
  store_.reset();

  LocalObjectStore reopened(root_ + "/");  // a trailing slash names the same root
  auto got = reopened.Get("topics/t/0/seg_0.bin");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == big);
  auto list = reopened.List("");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].key, "topics/t/0/seg_0.bin");
  EXPECT_EQ((*list)[0].size, big.size());
  EXPECT_EQ((*list)[1].key, "wal/1/0001.wal");
}

TEST_F(LocalObjectStoreTest, ObjectAndDirectoryAtOnePathConflict) {
  ASSERT_TRUE(store_->Put("a", AsBytes("file")).ok());
  Status s = store_->Put("a/b", AsBytes("under a file"));
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  // The message names the key and the system's reason.
  EXPECT_NE(s.message().find("'a/b'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(std::generic_category().message(ENOTDIR)), std::string::npos)
      << s.message();

  ASSERT_TRUE(store_->Put("x/y", AsBytes("1")).ok());
  s = store_->Put("x", AsBytes("over a directory"));
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("'x'"), std::string::npos) << s.message();
  // Failed Puts leave neither temp files nor damage.
  EXPECT_TRUE(TempFilesUnder(root_).empty());
  auto got = store_->Get("x/y");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(AsString(*got), "1");
}

TEST_F(LocalObjectStoreTest, DeleteRemovesEmptyDirectoriesOnly) {
  ASSERT_TRUE(store_->Put("p/q/r/s", AsBytes("1")).ok());
  ASSERT_TRUE(store_->Put("p/keep", AsBytes("2")).ok());
  ASSERT_TRUE(store_->Delete("p/q/r/s").ok());
  EXPECT_FALSE(fs::exists(root_ + "/p/q"));
  EXPECT_TRUE(fs::exists(root_ + "/p/keep"));
  ASSERT_TRUE(store_->Delete("p/keep").ok());
  EXPECT_FALSE(fs::exists(root_ + "/p"));
  EXPECT_TRUE(fs::is_directory(root_));  // never the root itself
}

TEST_F(LocalObjectStoreTest, ManyPutsLeaveNoTempFiles) {
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(store_->Put("w/" + std::to_string(i % 5), AsBytes(std::to_string(i))).ok());
  }
  EXPECT_TRUE(TempFilesUnder(root_).empty());
  auto list = store_->List("w/");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 5u);
}

TEST_F(LocalObjectStoreTest, MissingRootIsAnErrorNotACrash) {
  LocalObjectStore gone(tmp_.path() + "/does/not/exist");
  Status s = gone.Put("k", AsBytes("v"));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'k'"), std::string::npos) << s.message();
  EXPECT_EQ(gone.Get("k").status().code(), ErrorCode::kNotFound);
  auto list = gone.List("");
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
}

}  // namespace
}  // namespace sh
