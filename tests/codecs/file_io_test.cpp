#include "codecs/file_io.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "test_images.h"

namespace pictor::codecs {
namespace {

namespace fs = std::filesystem;

class FileIo : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir(); }
  void TearDown() override {
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add);
    fs::remove_all(dir_);
  }
  size_t entries() const {
    return size_t(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()));
  }
  std::string dir_;
};

TEST_F(FileIo, WriteThenReadBack) {
  const std::vector<uint8_t> data = {0, 1, 2, 250, 255};
  const std::string path = dir_ + "/out.bin";
  ASSERT_TRUE(write_file_atomic(path, data).is_ok());
  Result<std::vector<uint8_t>> back = read_file(path);
  ASSERT_TRUE(back.is_ok()) << back.status().message();
  EXPECT_EQ(*back, data);
  EXPECT_EQ(entries(), 1u);  // no temporary left behind
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                fs::perms::others_read);
}

TEST_F(FileIo, OverwriteReplacesAndEmptyFileWorks) {
  const std::string path = dir_ + "/out.bin";
  ASSERT_TRUE(write_file_atomic(path, std::vector<uint8_t>(1000, 7)).is_ok());
  ASSERT_TRUE(write_file_atomic(path, std::vector<uint8_t>{}).is_ok());
  Result<std::vector<uint8_t>> back = read_file(path);
  ASSERT_TRUE(back.is_ok());
  EXPECT_TRUE(back->empty());
  EXPECT_EQ(entries(), 1u);
}

TEST_F(FileIo, MissingDirectoryFailsAndLeavesNothing) {
  const std::string path = dir_ + "/missing/out.png";
  Status st = write_file_atomic(path, std::vector<uint8_t>{1, 2, 3});
  EXPECT_EQ(st.code(), StatusCode::kIoError);
  EXPECT_NE(st.message().find("directory '" + dir_ + "/missing' does not exist"), std::string::npos)
      << st.message();
  EXPECT_FALSE(fs::exists(dir_ + "/missing"));
  EXPECT_EQ(entries(), 0u);
}

TEST_F(FileIo, UnwritableTargetsFailCleanly) {
  // The target is a directory: the rename fails and the temporary is removed.
  fs::create_directory(dir_ + "/sub");
  Status st = write_file_atomic(dir_ + "/sub", std::vector<uint8_t>{1});
  EXPECT_EQ(st.code(), StatusCode::kIoError);
  EXPECT_NE(st.message().find("rename failed"), std::string::npos) << st.message();
  EXPECT_EQ(entries(), 1u);
  EXPECT_EQ(write_file_atomic(dir_ + "/", std::vector<uint8_t>{1}).code(),
            StatusCode::kInvalidArgument);
  if (::geteuid() != 0) {  // root ignores permission bits
    fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec);
    st = write_file_atomic(dir_ + "/x.png", std::vector<uint8_t>{1});
    EXPECT_EQ(st.code(), StatusCode::kIoError);
    EXPECT_NE(st.message().find("Permission denied"), std::string::npos) << st.message();
  }
}

TEST_F(FileIo, ReadErrors) {
  Result<std::vector<uint8_t>> missing = read_file(dir_ + "/nope.png");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("nope.png"), std::string::npos);
  Result<std::vector<uint8_t>> directory = read_file(dir_);
  EXPECT_EQ(directory.status().code(), StatusCode::kIoError);
  EXPECT_NE(directory.status().message().find("not a regular file"), std::string::npos);
}

}  // namespace
}  // namespace pictor::codecs
