// Round trips through SafetensorsWriter/SafetensorsFile and the committed TAESD fixture.
#include "engine/weights/safetensors.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

namespace pictor::weights {
namespace {

namespace fs = std::filesystem;

const char* kTaesd = PICTOR_TEST_FIXTURES "/taesd-tiny/diffusion_pytorch_model.safetensors";

std::string temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "pictor-weights-XXXXXX").string();
  PICTOR_ASSERT(::mkdtemp(tmpl.data()) != nullptr);
  return tmpl;
}

std::vector<uint8_t> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = uint8_t(rng());
  return v;
}

class SafetensorsRoundTrip : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = temp_dir(); }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(SafetensorsRoundTrip, AllDTypesMetadataEmptyAndScalar) {
  const DType all[] = {DType::kF32, DType::kF16, DType::kBF16, DType::kF64, DType::kI64,
                       DType::kI32, DType::kI16, DType::kI8,   DType::kU8,  DType::kBool};
  SafetensorsWriter writer;
  std::map<std::string, std::vector<uint8_t>> expected;
  for (size_t i = 0; i < std::size(all); ++i) {
    const std::string name = std::string("t.") + dtype_name(all[i]);
    std::vector<uint8_t> data = random_bytes(dtype_size(all[i]) * 2 * 3, uint32_t(i));
    writer.add(name, all[i], {2, 3}, data);
    expected[name] = data;
  }
  writer.add("empty", DType::kF32, {0, 3}, {});
  std::vector<uint8_t> scalar = random_bytes(8, 99);
  writer.add("scalar", DType::kF64, {}, scalar);
  writer.set_metadata("format", "pt");
  writer.set_metadata("note", "quotes \" and \\ and unicode \xC3\xA9");
  const std::string path = dir_ + "/model.safetensors";
  ASSERT_TRUE(writer.write(path).is_ok());

  Result<std::unique_ptr<SafetensorsFile>> opened = SafetensorsFile::open(path);
  ASSERT_TRUE(opened.is_ok()) << opened.status().message();
  const SafetensorsFile& file = **opened;
  EXPECT_EQ(file.path(), path);
  ASSERT_EQ(file.tensors().size(), std::size(all) + 2);
  for (size_t i = 1; i < file.tensors().size(); ++i) {
    EXPECT_LT(file.tensors()[i - 1].name, file.tensors()[i].name);  // sorted by name
  }
  for (const auto& [name, data] : expected) {
    const TensorInfo* t = file.find(name);
    ASSERT_NE(t, nullptr) << name;
    EXPECT_EQ(t->shape, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(t->numel(), 6);
    ASSERT_EQ(t->nbytes, data.size());
    EXPECT_EQ(std::memcmp(t->data, data.data(), data.size()), 0) << name;
  }
  const TensorInfo* empty = file.find("empty");
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(empty->numel(), 0);
  EXPECT_EQ(empty->nbytes, 0u);
  const TensorInfo* s = file.find("scalar");
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->shape.empty());
  EXPECT_EQ(s->numel(), 1);
  EXPECT_EQ(s->dtype, DType::kF64);
  ASSERT_EQ(s->nbytes, 8u);
  EXPECT_EQ(std::memcmp(s->data, scalar.data(), 8), 0);
  EXPECT_EQ(file.find("missing"), nullptr);
  EXPECT_EQ(file.metadata().at("format"), "pt");
  EXPECT_EQ(file.metadata().at("note"), "quotes \" and \\ and unicode \xC3\xA9");
  EXPECT_EQ((8 + file.header_size()) % 8, 0u);
}

TEST_F(SafetensorsRoundTrip, HeaderLayoutMatchesTheReferenceWriter) {
  SafetensorsWriter writer;
  const float one[2] = {1.0f, 2.0f};
  writer.add("b", DType::kF32, {2}, {reinterpret_cast<const uint8_t*>(one), 8});
  writer.add("a", DType::kU8, {1}, std::vector<uint8_t>{7});
  writer.set_metadata("format", "pt");
  Result<std::string> header = writer.header();
  ASSERT_TRUE(header.is_ok());
  const std::string json =
      "{\"__metadata__\":{\"format\":\"pt\"},"
      "\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
      "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[1,9]}}";
  EXPECT_EQ(header->substr(0, json.size()), json);
  EXPECT_EQ(header->size() % 8, 0u);
  EXPECT_EQ(header->find_first_not_of(' ', json.size()), std::string::npos);  // space padding
}

TEST_F(SafetensorsRoundTrip, WriterReportsBadInputAtWrite) {
  const std::string path = dir_ + "/bad.safetensors";
  {
    SafetensorsWriter w;
    w.add("x", DType::kF32, {3}, std::vector<uint8_t>(8));
    Status st = w.write(path);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(st.message().find("'x' has 8 bytes"), std::string::npos) << st.message();
  }
  {
    SafetensorsWriter w;
    w.add("x", DType::kU8, {1}, std::vector<uint8_t>(1));
    w.add("x", DType::kU8, {1}, std::vector<uint8_t>(1));
    EXPECT_NE(w.write(path).message().find("added twice"), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(path));
  SafetensorsWriter ok;
  ok.add("x", DType::kU8, {1}, std::vector<uint8_t>(1));
  Status st = ok.write(dir_ + "/no/such/dir/out.safetensors");
  EXPECT_EQ(st.code(), StatusCode::kIoError);
  EXPECT_NE(st.message().find("no/such/dir"), std::string::npos) << st.message();
  // Nothing but the directory itself is left behind: no temporaries.
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(SafetensorsRoundTrip, OverwritesAnExistingFileAtomically) {
  const std::string path = dir_ + "/m.safetensors";
  for (uint8_t v : {uint8_t(1), uint8_t(2)}) {
    SafetensorsWriter w;
    w.add("v", DType::kU8, {1}, std::vector<uint8_t>{v});
    ASSERT_TRUE(w.write(path).is_ok());
  }
  auto file = SafetensorsFile::open(path);
  ASSERT_TRUE(file.is_ok());
  EXPECT_EQ((*file)->find("v")->data[0], 2);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST(SafetensorsFixture, TaesdOpensWithPlausibleTensors) {
  Result<std::unique_ptr<SafetensorsFile>> opened = SafetensorsFile::open(kTaesd);
  ASSERT_TRUE(opened.is_ok()) << opened.status().message();
  const SafetensorsFile& file = **opened;
  ASSERT_EQ(file.tensors().size(), 62u);
  EXPECT_EQ(file.metadata().at("format"), "pt");
  for (size_t i = 0; i < 4; ++i) {
    const TensorInfo& t = file.tensors()[i];
    std::string shape;
    for (int64_t d : t.shape) {
      if (!shape.empty()) shape += ",";
      shape += std::to_string(d);
    }
    std::printf("  %s %s [%s]\n", t.name.c_str(), dtype_name(t.dtype), shape.c_str());
  }
  const TensorInfo* w = file.find("decoder.layers.0.weight");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->dtype, DType::kF32);
  EXPECT_EQ(w->shape, (std::vector<int64_t>{16, 4, 3, 3}));  // 4 latent channels in, 16 out
  // Every tensor is a finite float32 with modest magnitude, under encoder./decoder.
  for (const TensorInfo& t : file.tensors()) {
    EXPECT_TRUE(t.name.rfind("encoder.", 0) == 0 || t.name.rfind("decoder.", 0) == 0) << t.name;
    ASSERT_EQ(t.dtype, DType::kF32) << t.name;
    for (int64_t i = 0; i < t.numel(); ++i) {
      float v;
      std::memcpy(&v, t.data + 4 * i, 4);
      ASSERT_TRUE(std::isfinite(v) && std::fabs(v) < 100.0f) << t.name << "[" << i << "]";
    }
  }
  // Reference layout: data starts right after the padded header, tensors are contiguous in name
  // order (all one dtype) and the last one ends at the end of the file.
  EXPECT_EQ((8 + file.header_size()) % 8, 0u);
  const uint8_t* base = file.tensors()[0].data;
  size_t offset = 0;
  for (const TensorInfo& t : file.tensors()) {
    EXPECT_EQ(size_t(t.data - base), offset) << t.name;
    offset += t.nbytes;
  }
  EXPECT_EQ(8 + file.header_size() + offset, fs::file_size(kTaesd));
}

TEST(SafetensorsFixture, RewritingTaesdIsByteIdentical) {
  auto opened = SafetensorsFile::open(kTaesd);
  ASSERT_TRUE(opened.is_ok());
  SafetensorsWriter writer;
  for (const auto& [k, v] : (*opened)->metadata()) writer.set_metadata(k, v);
  for (const TensorInfo& t : (*opened)->tensors()) {
    writer.add(t.name, t.dtype, t.shape, {t.data, t.nbytes});
  }
  const std::string dir = temp_dir();
  const std::string out = dir + "/taesd.safetensors";
  ASSERT_TRUE(writer.write(out).is_ok());
  EXPECT_TRUE(slurp(out) == slurp(kTaesd));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace pictor::weights
