// Every validation rule of SafetensorsFile::open gives its own, specific message.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "engine/weights/safetensors.h"

namespace pictor::weights {
namespace {

namespace fs = std::filesystem;

class SafetensorsCorrupt : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "pictor-corrupt-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes a file of: declared header length (8 bytes LE), `header`, then `data_size` zero bytes.
  std::string write_raw(const std::string& header, size_t data_size, int64_t declared = -1) {
    std::string bytes(8, '\0');
    const uint64_t n = declared < 0 ? header.size() : uint64_t(declared);
    for (int i = 0; i < 8; ++i) bytes[i] = char(n >> (8 * i));
    bytes += header;
    bytes.append(data_size, '\0');
    return write_bytes(bytes);
  }
  std::string write_bytes(const std::string& bytes) {
    const std::string path = dir_ + "/f" + std::to_string(count_++) + ".safetensors";
    std::ofstream(path, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
    return path;
  }
  // The error message of opening `path`, which must fail with kCorruptData and name the file.
  std::string error_of(const std::string& path) {
    auto r = SafetensorsFile::open(path);
    if (r.is_ok()) return "<opened fine>";
    EXPECT_EQ(r.status().code(), StatusCode::kCorruptData) << r.status().message();
    EXPECT_NE(r.status().message().find(path), std::string::npos) << r.status().message();
    return r.status().message();
  }

  std::string dir_;
  int count_ = 0;
};

#define EXPECT_ERROR_HAS(path, text) EXPECT_THAT_SUBSTR(error_of(path), text)
#define EXPECT_THAT_SUBSTR(msg, text)                                 \
  do {                                                                \
    const std::string m_ = (msg);                                     \
    EXPECT_NE(m_.find(text), std::string::npos) << "message: " << m_; \
  } while (0)

const std::string kGood = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";

TEST_F(SafetensorsCorrupt, SanityTheGoodFileOpens) {
  auto r = SafetensorsFile::open(write_raw(kGood, 8));
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ((*r)->tensors().size(), 1u);
}

TEST_F(SafetensorsCorrupt, MissingFileIsNotFound) {
  auto r = SafetensorsFile::open(dir_ + "/nope.safetensors");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_THAT_SUBSTR(r.status().message(), "nope.safetensors");
}

TEST_F(SafetensorsCorrupt, ShorterThanTheLengthPrefix) {
  EXPECT_ERROR_HAS(write_bytes(""), "0 bytes, too short");
  EXPECT_ERROR_HAS(write_bytes(std::string("\x10\x00\x00", 3)), "3 bytes, too short");
}

TEST_F(SafetensorsCorrupt, HeaderLengthZeroHugeOrPastTheEnd) {
  EXPECT_ERROR_HAS(write_raw("", 16, 0), "header length is 0");
  EXPECT_ERROR_HAS(write_raw(kGood, 8, 200'000'000), "exceeds the limit of 100000000");
  EXPECT_ERROR_HAS(write_raw(kGood, 8, int64_t(kGood.size()) + 9), "runs past the end of the file");
  // A text file read as safetensors: the "length" is 8 ASCII bytes, i.e. absurdly large.
  EXPECT_ERROR_HAS(write_bytes("hello world, this is not a model"), "exceeds the limit");
}

TEST_F(SafetensorsCorrupt, HeaderNotJsonOrNotAnObject) {
  EXPECT_ERROR_HAS(write_raw("{\"w\": [1, 2", 0), "header is not valid JSON");
  EXPECT_ERROR_HAS(write_raw("\xff\xfe garbage", 0), "header is not valid JSON");
  EXPECT_ERROR_HAS(write_raw("[1, 2, 3]", 0), "header is not a JSON object");
  EXPECT_ERROR_HAS(write_raw(R"({"w": 5})", 0), "tensor 'w': entry is not a JSON object");
}

TEST_F(SafetensorsCorrupt, BadDType) {
  const std::string path = write_raw(R"({"w":{"dtype":"F7","shape":[2],"data_offsets":[0,8]}})", 8);
  const std::string m = error_of(path);
  EXPECT_THAT_SUBSTR(m, "tensor 'w'");
  EXPECT_THAT_SUBSTR(m, "unknown dtype 'F7'");
  EXPECT_ERROR_HAS(write_raw(R"({"w":{"shape":[2],"data_offsets":[0,8]}})", 8), "\"dtype\"");
}

TEST_F(SafetensorsCorrupt, BadShape) {
  const char* bad[] = {
      R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})",
      R"({"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})",
      R"({"w":{"dtype":"F32","shape":"2","data_offsets":[0,8]}})",
      R"({"w":{"dtype":"F32","data_offsets":[0,8]}})",
  };
  for (const char* h : bad) {
    EXPECT_ERROR_HAS(write_raw(h, 8), "\"shape\" is not a list of non-negative integers");
  }
  EXPECT_ERROR_HAS(
      write_raw(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", 8),
      "is too large");
}

TEST_F(SafetensorsCorrupt, BadOffsets) {
  EXPECT_ERROR_HAS(write_raw(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8),
                   "\"data_offsets\" must be [begin, end]");
  EXPECT_ERROR_HAS(write_raw(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", 8),
                   "\"data_offsets\" must be [begin, end]");
  EXPECT_ERROR_HAS(write_raw(R"({"w":{"dtype":"F32","shape":[2]}})", 8), "\"data_offsets\"");
}

TEST_F(SafetensorsCorrupt, DataPastTheEndOfTheFile) {
  // Header promises 8 bytes of data, the file holds 5: a truncated download.
  const std::string m = error_of(write_raw(kGood, 5));
  EXPECT_THAT_SUBSTR(m, "tensor 'w'");
  EXPECT_THAT_SUBSTR(m, "run past the end of the data (5 bytes): truncated file?");
}

TEST_F(SafetensorsCorrupt, TruncatedRealFixture) {
  std::ifstream in(PICTOR_TEST_FIXTURES "/taesd-tiny/diffusion_pytorch_model.safetensors",
                   std::ios::binary);
  std::string bytes{std::istreambuf_iterator<char>(in), {}};
  ASSERT_GT(bytes.size(), 10000u);
  EXPECT_ERROR_HAS(write_bytes(bytes.substr(0, bytes.size() - 100)), "truncated file?");
  EXPECT_ERROR_HAS(write_bytes(bytes.substr(0, 1000)), "runs past the end of the file");
}

TEST_F(SafetensorsCorrupt, OverlappingTensors) {
  const std::string h = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                        R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
  EXPECT_ERROR_HAS(write_raw(h, 12), "tensors 'a' and 'b' have overlapping data_offsets");
}

TEST_F(SafetensorsCorrupt, ShapeDoesNotMatchOffsets) {
  const std::string m =
      error_of(write_raw(R"({"w":{"dtype":"F16","shape":[3],"data_offsets":[0,8]}})", 8));
  EXPECT_THAT_SUBSTR(m, "tensor 'w'");
  EXPECT_THAT_SUBSTR(m, "span 8 bytes but shape [3] of F16 needs 6");
}

TEST_F(SafetensorsCorrupt, BadMetadata) {
  EXPECT_ERROR_HAS(write_raw(R"({"__metadata__":{"epoch":3}})", 0),
                   "__metadata__ value for 'epoch' is not a string");
  EXPECT_ERROR_HAS(write_raw(R"({"__metadata__":[1]})", 0), "__metadata__ is not a JSON object");
}

TEST_F(SafetensorsCorrupt, EmptyHeaderObjectIsAValidEmptyFile) {
  auto r = SafetensorsFile::open(write_raw("{}      ", 0));
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_TRUE((*r)->tensors().empty());
}

}  // namespace
}  // namespace pictor::weights
