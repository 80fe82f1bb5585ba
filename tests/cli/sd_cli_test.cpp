// `pictor generate` with a Stable-Diffusion folder (the tiny random-weight sd-tiny-A fixture):
// a plain run, the reference pipeline image through --init-noise / --save-tensor (diffusers
// 0.25.1, atol 1e-3 as the fixture README suggests), the new flags' errors and a non-model folder.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "codecs/codecs.h"
#include "engine/weights/safetensors.h"

namespace {

namespace fs = std::filesystem;
using pictor::weights::DType;
using pictor::weights::SafetensorsFile;
using pictor::weights::SafetensorsWriter;

const std::string kModel = std::string(PICTOR_TEST_FIXTURES) + "/sd-tiny-A";
const std::string kPrompt = "a photo of an astronaut riding a horse on mars";

struct CommandRun {
  int exit_code = -1;
  std::string err;
};

fs::path temp_dir() {
  static const fs::path dir = fs::temp_directory_path() / ("pictor-sd-cli-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

CommandRun run(const std::string& args) {
  const std::string err_path = (temp_dir() / "stderr.txt").string();
  const std::string cmd = std::string(PICTOR_BINARY) + " " + args + " >/dev/null 2>" + err_path;
  CommandRun r;
  int status = std::system(cmd.c_str());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(err_path);
  r.err.assign(std::istreambuf_iterator<char>(in), {});
  return r;
}

std::string q(const std::string& s) { return "'" + s + "'"; }

std::vector<float> read_floats(const std::string& path, const std::string& name, std::vector<int64_t>* shape) {
  auto f = SafetensorsFile::open(path);
  EXPECT_TRUE(f.is_ok()) << f.status().message();
  if (!f.is_ok()) return {};
  const auto* t = (*f)->find(name);
  EXPECT_NE(t, nullptr) << name;
  if (!t) return {};
  EXPECT_EQ(t->dtype, DType::kF32);
  if (shape) *shape = t->shape;
  std::vector<float> v(size_t(t->numel()));
  std::memcpy(v.data(), t->data, v.size() * 4);
  return v;
}

// The reference pipeline's start noise, as --init-noise wants it (tensor "latents").
std::string write_init_noise() {
  const std::string path = (temp_dir() / "noise.safetensors").string();
  std::vector<int64_t> shape;
  auto v = read_floats(kModel + "/reference/inputs.safetensors", "pipe_latents", &shape);
  SafetensorsWriter w;
  w.add("latents", DType::kF32, shape, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(v.data()), v.size() * 4));
  EXPECT_TRUE(w.write(path).is_ok());
  return path;
}

TEST(SdCli, GeneratesWithTheTinyModel) {
  const auto out = (temp_dir() / "out.png").string();
  auto r = run("generate --model " + q(kModel) + " 'a photo' --steps 2 --seed 5 -o " + q(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto bytes = pictor::codecs::read_file(out);
  ASSERT_TRUE(bytes.is_ok());
  auto img = pictor::codecs::decode_image(*bytes);
  ASSERT_TRUE(img.is_ok());
  EXPECT_EQ(img->width, 64);
  EXPECT_EQ(img->height, 64);
  EXPECT_NE(r.err.find("2 steps, guidance 0.0"), std::string::npos) << r.err;
  // Same seed, other thread count and batch position: same bytes.
  const auto out2 = (temp_dir() / "out2.png").string();
  r = run("generate --model " + q(kModel) + " 'a photo' --steps 2 --seed 5 --threads 1 --sampler euler_a -n 2 -o " + q(out2));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out3 = (temp_dir() / "out3.png").string();
  r = run("generate --model " + q(kModel) + " 'a photo' --steps 2 --seed 5 --threads 2 --sampler euler_a -o " + q(out3));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(*pictor::codecs::read_file((temp_dir() / "out2-1.png").string()), *pictor::codecs::read_file(out3));
}

TEST(SdCli, SaveTensorMatchesTheReferencePipeline) {
  const auto noise = write_init_noise();
  for (const char* name : {"t2i_1step", "t2i_4step"}) {
    const int steps = std::string(name) == "t2i_1step" ? 1 : 4;
    const auto tensor = (temp_dir() / (std::string(name) + ".safetensors")).string();
    auto r = run("generate --model " + q(kModel) + " " + q(kPrompt) + " --quality high --steps " +
                 std::to_string(steps) + " --init-noise " + q(noise) + " --save-tensor " + q(tensor) + " -o " +
                 q((temp_dir() / "ref.png").string()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::vector<int64_t> shape;
    auto got = read_floats(tensor, "image", &shape);
    EXPECT_EQ(shape, (std::vector<int64_t>{1, 3, 64, 64}));
    auto want = read_floats(kModel + "/reference/refs_float32.safetensors", std::string("pipe_") + name + "_image", nullptr);
    ASSERT_EQ(got.size(), want.size());
    double err = 0;
    for (size_t i = 0; i < got.size(); ++i) err = std::max(err, double(std::fabs(got[i] - want[i])));
    std::printf("  %s: --save-tensor vs diffusers image max|diff| %.3g (atol 1e-3)\n", name, err);
    EXPECT_LE(err, 1e-3) << name;
  }
}

TEST(SdCli, ErrorsAreOneLine) {
  const auto out = (temp_dir() / "never.png").string();
  // A folder that is not a model.
  const auto empty = temp_dir() / "not-a-model";
  fs::create_directories(empty);
  auto r = run("generate --model " + q(empty.string()) + " 'a photo' -o " + q(out));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("is not a model"), std::string::npos) << r.err;
  r = run("generate --model " + q(kModel) + " 'a photo' --sampler ddim -o " + q(out));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown --sampler 'ddim'"), std::string::npos) << r.err;
  r = run("generate --model " + q(kModel) + " 'a photo' --init-noise /nonexistent.safetensors -o " + q(out));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  // Noise of the wrong size for the image.
  r = run("generate --model " + q(kModel) + " 'a photo' --size 128x128 --init-noise " + q(write_init_noise()) +
          " -o " + q(out));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("init noise must be [1, 4, 16, 16]"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
