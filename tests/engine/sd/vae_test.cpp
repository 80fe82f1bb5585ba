// AutoencoderKL (engine/models/sd/autoencoder_kl.h) vs diffusers v0.25 on the sd-tiny-A fixture
// (random weights, 4 blocks so 8× downscale, 4 groups): decode of square and non-square latents
// with the pipeline's 1/0.18215 scaling, the encoder's posterior, the pipeline-scaled latents,
// config reading, strict loading (one error naming a mis-shaped tensor) and the bf16 decode path.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>

#include "engine/device.h"
#include "engine/models/sd/autoencoder_kl.h"
#include "sd_reference.h"

namespace pictor::engine::sd {
namespace {

using namespace testing;

AutoencoderKL load_fixture_vae() {
  auto vae = load_autoencoder_kl(fixture("vae"));
  EXPECT_TRUE(vae.is_ok()) << vae.status().message();
  return *vae;
}

// PSNR in dB of a against b, both images in [0, 1].
double psnr(const at::Tensor& a, const at::Tensor& b) {
  const double mse = (a.to(torch::kDouble) - b.to(torch::kDouble)).pow(2).mean().item<double>();
  return 10 * std::log10(1.0 / mse);
}

TEST(SdVaeConfig, ReadsTheFixtureConfig) {
  auto c = AutoencoderKLConfig::load(fixture("vae/config.json"));
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->block_out_channels, (std::vector<int64_t>{8, 16, 16, 16}));
  EXPECT_EQ(c->layers_per_block, 2);
  EXPECT_EQ(c->norm_num_groups, 4);
  EXPECT_EQ(c->latent_channels, 4);
  EXPECT_DOUBLE_EQ(c->scaling_factor, 0.18215);
  EXPECT_EQ(c->downscale(), 8);
}

TEST(SdVaeConfig, RefusesWhatIsNotBuilt) {
  auto bad_block = AutoencoderKLConfig::from_json(
      R"({"block_out_channels": [8], "down_block_types": ["DownBlock2D"], "norm_num_groups": 4})");
  ASSERT_FALSE(bad_block.is_ok());
  EXPECT_NE(bad_block.status().message().find("DownBlock2D"), std::string::npos);
  auto bad_groups = AutoencoderKLConfig::from_json(R"({"block_out_channels": [6], "norm_num_groups": 4})");
  ASSERT_FALSE(bad_groups.is_ok());
  EXPECT_NE(bad_groups.status().message().find("norm_num_groups"), std::string::npos);
  EXPECT_FALSE(AutoencoderKLConfig::from_json("[1, 2]").is_ok());
}

TEST(SdVae, DecodeMatchesDiffusers) {
  torch::NoGradGuard no_grad;
  auto vae = load_fixture_vae();
  // Reference: vae.decode(latent / 0.18215).sample; decode() applies the 1/scaling_factor.
  expect_close(vae->decode(input("vae_latent_8x8")), ref("vae_decode_8x8"), "vae_decode_8x8");
  expect_close(vae->decode(input("vae_latent_12x8")), ref("vae_decode_12x8"), "vae_decode_12x8");
  // decode_unscaled is the raw diffusers decode.
  auto raw = vae->decode_unscaled(input("vae_latent_8x8") / 0.18215);
  EXPECT_TRUE(torch::equal(raw, vae->decode(input("vae_latent_8x8"))));
}

TEST(SdVae, EncodeMatchesDiffusers) {
  torch::NoGradGuard no_grad;
  auto vae = load_fixture_vae();
  auto d = vae->encode(input("vae_image_64x64"));
  expect_close(d.mean, ref("vae_encode_mean"), "vae_encode_mean");
  expect_close(d.std, ref("vae_encode_std"), "vae_encode_std");
  expect_close(d.logvar, ref("vae_encode_logvar"), "vae_encode_logvar");
}

TEST(SdVae, EncodeLatentsAreScaledByTheScalingFactor) {
  torch::NoGradGuard no_grad;
  auto vae = load_fixture_vae();
  auto image = input("vae_image_64x64");
  auto mean = ref("vae_encode_mean"), std = ref("vae_encode_std");
  expect_close(vae->encode_latents(image), mean * 0.18215, "encode_latents (mean)");
  // The img2img pipeline: (mean + std * noise_0) * 0.18215 with the recorded generator noise.
  auto noise = input("img2img_noise_0");
  expect_close(vae->encode_latents(image, noise), (mean + std * noise) * 0.18215,
               "encode_latents (sample)");
}

TEST(SdVae, Bf16DecodeStaysCloseToFp32) {
  torch::NoGradGuard no_grad;
  auto vae = load_fixture_vae();
  auto latents = input("vae_latent_8x8");
  auto fp32 = vae_output_to_unit_range(vae->decode(latents));
  vae->set_bf16(true);
  auto bf16 = vae->decode(latents);
  EXPECT_EQ(bf16.scalar_type(), torch::kFloat);
  auto bf16_img = vae_output_to_unit_range(bf16);
  const double db = psnr(bf16_img, fp32);
  const double err = max_abs_diff(bf16_img, fp32);
  std::printf("  bf16 vs fp32 decode of vae_latent_8x8: PSNR %.1f dB, max|diff| %.3g (image in [0, 1])\n",
              db, err);
  EXPECT_GT(db, 35.0);
  vae->set_bf16(false);
  EXPECT_TRUE(torch::equal(vae_output_to_unit_range(vae->decode(latents)), fp32));
}

// Same pixels whatever the thread count (DESIGN.md §5), fp32 and bf16, on a wider random VAE
// (SD's group count 32). libtorch's own 1×1 convolution and linear kernels split their
// reductions by thread count; the model routes them through fixed row blocks.
TEST(SdVae, DecodeIsBitIdenticalAcrossThreadCounts) {
  set_threads(2);
  torch::NoGradGuard no_grad;
  AutoencoderKLConfig c;
  c.block_out_channels = {32, 64, 64};
  c.layers_per_block = 1;
  c.norm_num_groups = 32;
  torch::manual_seed(5);
  AutoencoderKL vae(c);
  auto latents = torch::randn({1, 4, 8, 8});
  auto image = torch::rand({1, 3, 32, 32}) * 2 - 1;
  for (bool bf16 : {false, true}) {
    vae->set_bf16(bf16);
    std::vector<at::Tensor> dec, enc;
    for (int threads : {1, 2}) {
      torch::set_num_threads(threads);
      dec.push_back(vae->decode(latents));
      enc.push_back(vae->encode(image).mean);
    }
    EXPECT_TRUE(torch::equal(dec[0], dec[1])) << "bf16 " << bf16 << ", max difference "
                                              << max_abs_diff(dec[0], dec[1]);
    EXPECT_TRUE(torch::equal(enc[0], enc[1])) << "bf16 " << bf16 << ", max difference "
                                              << max_abs_diff(enc[0], enc[1]);
  }
  set_threads(0);
}

// Timing at the real SD VAE size (random weights): 64×64 latents → 512×512, fp32 vs bf16 convs.
// Not part of the suite: run with --gtest_also_run_disabled_tests --gtest_filter='*RealSize*'.
TEST(SdVae, DISABLED_RealSizeDecodeTiming) {
  torch::NoGradGuard no_grad;
  AutoencoderKLConfig c;
  c.block_out_channels = {128, 256, 512, 512};
  c.layers_per_block = 2;
  torch::manual_seed(0);
  AutoencoderKL vae(c);
  auto latents = torch::randn({1, 4, 64, 64});
  at::Tensor ref_img;
  for (bool bf16 : {false, true}) {
    vae->set_bf16(bf16);
    const auto t0 = std::chrono::steady_clock::now();
    auto img = vae_output_to_unit_range(vae->decode(latents));
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!bf16) ref_img = img;
    std::printf("  512x512 decode, %s convs, %d threads: %.2f s%s\n", bf16 ? "bf16" : "fp32",
                torch::get_num_threads(), s,
                bf16 ? (", PSNR vs fp32 " + std::to_string(psnr(img, ref_img)) + " dB").c_str() : "");
  }
}

// VAE checkpoints saved before diffusers 0.14 (e.g. early SD 1.x folders) name the mid-block
// attention projections query/key/value/proj_attn; the loader detects that from the weights.
TEST(SdVae, LoadsLegacyAttentionNames) {
  torch::NoGradGuard no_grad;
  auto dir = temp_dir("vae-legacy");
  std::filesystem::copy_file(fixture("vae/config.json"), dir / "config.json",
                             std::filesystem::copy_options::overwrite_existing);
  auto src = weights::SafetensorsFile::open(fixture("vae/diffusion_pytorch_model.safetensors"));
  ASSERT_TRUE(src.is_ok());
  weights::SafetensorsWriter w;
  int renamed = 0;
  for (const auto& t : (*src)->tensors()) {
    std::string name = t.name;
    for (auto [from, to] : {std::pair{".to_q.", ".query."}, {".to_k.", ".key."}, {".to_v.", ".value."},
                            {".to_out.0.", ".proj_attn."}})
      if (auto p = name.find(from); p != std::string::npos) {
        name.replace(p, std::string(from).size(), to);
        ++renamed;
      }
    w.add(name, t.dtype, t.shape, std::span<const uint8_t>(t.data, t.nbytes));
  }
  EXPECT_EQ(renamed, 16);  // 4 projections × (weight, bias) × encoder and decoder
  ASSERT_TRUE(w.write((dir / "diffusion_pytorch_model.safetensors").string()).is_ok());
  auto vae = load_autoencoder_kl(dir.string());
  ASSERT_TRUE(vae.is_ok()) << vae.status().message();
  EXPECT_TRUE((*vae)->config().legacy_attention_names);
  auto want = load_fixture_vae()->decode(input("vae_latent_8x8"));
  EXPECT_TRUE(torch::equal((*vae)->decode(input("vae_latent_8x8")), want));
  std::filesystem::remove_all(dir);
}

TEST(SdVae, MisShapedTensorIsNamedInOneError) {
  auto dir = temp_dir("vae");
  std::filesystem::copy_file(fixture("vae/config.json"), dir / "config.json",
                             std::filesystem::copy_options::overwrite_existing);
  write_broken_copy(fixture("vae/diffusion_pytorch_model.safetensors"),
                    (dir / "diffusion_pytorch_model.safetensors").string(), "",
                    "decoder.mid_block.attentions.0.to_q.weight", {16, 8});
  auto vae = load_autoencoder_kl(dir.string());
  ASSERT_FALSE(vae.is_ok());
  const auto& msg = vae.status().message();
  std::printf("  %s\n", msg.c_str());
  EXPECT_NE(msg.find("decoder.mid_block.attentions.0.to_q.weight (file [16, 8], model [16, 16])"),
            std::string::npos);
  EXPECT_NE(msg.find("1 wrong shape"), std::string::npos);
  EXPECT_EQ(msg.find("missing"), std::string::npos);
  EXPECT_EQ(msg.find("unexpected"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(SdVae, MissingAndUnexpectedTensorsAreReportedTogether) {
  auto dir = temp_dir("vae-missing");
  std::filesystem::copy_file(fixture("vae/config.json"), dir / "config.json",
                             std::filesystem::copy_options::overwrite_existing);
  // Drop one tensor and reshape another: both appear in the same error.
  write_broken_copy(fixture("vae/diffusion_pytorch_model.safetensors"),
                    (dir / "diffusion_pytorch_model.safetensors").string(), "quant_conv.bias",
                    "encoder.conv_in.weight", {8, 3, 1, 1});
  auto vae = load_autoencoder_kl(dir.string());
  ASSERT_FALSE(vae.is_ok());
  const auto& msg = vae.status().message();
  EXPECT_NE(msg.find("1 missing (quant_conv.bias)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("encoder.conv_in.weight"), std::string::npos) << msg;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pictor::engine::sd
