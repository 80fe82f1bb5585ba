// AutoencoderTiny / TAESD (engine/models/sd/taesd.h) vs diffusers v0.25 on the sd-tiny-A TAESD
// (tests/fixtures/taesd-tiny: random weights, 16 channels, 1 block per stage): decode and encode,
// latent_magnitude/latent_shift scaling, config reading, strict loading and the bf16 decode path.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>

#include "engine/device.h"
#include "engine/models/sd/taesd.h"
#include "sd_reference.h"

namespace pictor::engine::sd {
namespace {

using namespace testing;

// The sd-tiny-A TAESD folder (the same weights the safetensors reader tests use).
std::string taesd_dir() { return std::string(PICTOR_TEST_FIXTURES) + "/taesd-tiny"; }

AutoencoderTiny load_fixture_taesd() {
  auto m = load_autoencoder_tiny(taesd_dir());
  EXPECT_TRUE(m.is_ok()) << m.status().message();
  return *m;
}

double psnr(const at::Tensor& a, const at::Tensor& b) {
  const double mse = (a.to(torch::kDouble) - b.to(torch::kDouble)).pow(2).mean().item<double>();
  return 10 * std::log10(1.0 / mse);
}

TEST(SdTaesdConfig, ReadsTheFixtureConfig) {
  auto c = AutoencoderTinyConfig::load(taesd_dir() + "/config.json");
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->encoder_block_out_channels, (std::vector<int64_t>{16, 16, 16, 16}));
  EXPECT_EQ(c->decoder_block_out_channels, (std::vector<int64_t>{16, 16, 16, 16}));
  EXPECT_EQ(c->num_encoder_blocks, (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(c->num_decoder_blocks, (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_DOUBLE_EQ(c->latent_magnitude, 3.0);
  EXPECT_DOUBLE_EQ(c->latent_shift, 0.5);
  EXPECT_DOUBLE_EQ(c->scaling_factor, 1.0);
  // Defaults are the real TAESD's.
  auto d = AutoencoderTinyConfig::from_json("{}");
  ASSERT_TRUE(d.is_ok());
  EXPECT_EQ(d->num_encoder_blocks, (std::vector<int64_t>{1, 3, 3, 3}));
  EXPECT_EQ(d->num_decoder_blocks, (std::vector<int64_t>{3, 3, 3, 1}));
  EXPECT_FALSE(AutoencoderTinyConfig::from_json(R"({"act_fn": "silu"})").is_ok());
}

TEST(SdTaesd, DecodeMatchesDiffusers) {
  torch::NoGradGuard no_grad;
  auto taesd = load_fixture_taesd();
  expect_close(taesd->decode(input("vae_latent_8x8")), ref("taesd_decode_8x8"), "taesd_decode_8x8");
}

TEST(SdTaesd, EncodeMatchesDiffusers) {
  torch::NoGradGuard no_grad;
  auto taesd = load_fixture_taesd();
  expect_close(taesd->encode(input("vae_image_64x64")), ref("taesd_encode_latents"),
               "taesd_encode_latents");
}

TEST(SdTaesd, LatentScalingRoundTrips) {
  torch::NoGradGuard no_grad;
  auto taesd = load_fixture_taesd();
  auto lat = input("vae_latent_8x8").clamp(-2.9, 2.9);
  auto scaled = taesd->scale_latents(lat);
  EXPECT_GE(scaled.min().item<float>(), 0.0f);
  EXPECT_LE(scaled.max().item<float>(), 1.0f);
  // 0 ↦ latent_shift; ±latent_magnitude ↦ the ends.
  EXPECT_FLOAT_EQ(taesd->scale_latents(torch::zeros({1})).item<float>(), 0.5f);
  EXPECT_FLOAT_EQ(taesd->scale_latents(torch::full({1}, 3.0)).item<float>(), 1.0f);
  EXPECT_LE(max_abs_diff(taesd->unscale_latents(scaled), lat), 1e-6);
}

TEST(SdTaesd, Bf16DecodeStaysCloseToFp32) {
  torch::NoGradGuard no_grad;
  auto taesd = load_fixture_taesd();
  auto latents = input("vae_latent_8x8");
  auto fp32 = (taesd->decode(latents) / 2 + 0.5).clamp(0, 1);
  taesd->set_bf16(true);
  auto bf16 = (taesd->decode(latents) / 2 + 0.5).clamp(0, 1);
  const double db = psnr(bf16, fp32);
  std::printf("  bf16 vs fp32 TAESD decode of vae_latent_8x8: PSNR %.1f dB, max|diff| %.3g\n", db,
              max_abs_diff(bf16, fp32));
  EXPECT_GT(db, 35.0);
}

// Same pixels whatever the thread count (DESIGN.md §5), fp32 and bf16, at the real TAESD size
// (64 channels, 1/3/3/3 and 3/3/3/1 blocks; random weights).
TEST(SdTaesd, IsBitIdenticalAcrossThreadCounts) {
  set_threads(2);
  torch::NoGradGuard no_grad;
  torch::manual_seed(6);
  AutoencoderTiny taesd{AutoencoderTinyConfig{}};
  auto latents = torch::randn({1, 4, 8, 8});
  auto image = torch::rand({1, 3, 64, 64}) * 2 - 1;
  for (bool bf16 : {false, true}) {
    taesd->set_bf16(bf16);
    std::vector<at::Tensor> dec, enc;
    for (int threads : {1, 2}) {
      torch::set_num_threads(threads);
      dec.push_back(taesd->decode(latents));
      enc.push_back(taesd->encode(image));
    }
    EXPECT_TRUE(torch::equal(dec[0], dec[1])) << "bf16 " << bf16 << ": " << max_abs_diff(dec[0], dec[1]);
    EXPECT_TRUE(torch::equal(enc[0], enc[1])) << "bf16 " << bf16 << ": " << max_abs_diff(enc[0], enc[1]);
  }
  set_threads(0);
}

TEST(SdTaesd, MisShapedTensorIsNamedInOneError) {
  auto dir = temp_dir("taesd");
  std::filesystem::copy_file(taesd_dir() + "/config.json", dir / "config.json",
                             std::filesystem::copy_options::overwrite_existing);
  write_broken_copy(taesd_dir() + "/diffusion_pytorch_model.safetensors",
                    (dir / "diffusion_pytorch_model.safetensors").string(), "",
                    "decoder.layers.11.conv.2.weight", {16, 16, 1, 1});
  auto m = load_autoencoder_tiny(dir.string());
  ASSERT_FALSE(m.is_ok());
  const auto& msg = m.status().message();
  std::printf("  %s\n", msg.c_str());
  EXPECT_NE(msg.find("decoder.layers.11.conv.2.weight (file [16, 16, 1, 1], model [16, 16, 3, 3])"),
            std::string::npos);
  EXPECT_NE(msg.find("1 wrong shape"), std::string::npos);
  EXPECT_EQ(msg.find("missing"), std::string::npos);
  EXPECT_EQ(msg.find("unexpected"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pictor::engine::sd
