// UNet2DConditionModel (engine/models/sd/unet2d.h) vs diffusers v0.25 on the sd-tiny-A fixture
// (random weights, linear projections, attention_head_dim = heads quirk): square and non-square
// latents, int64 and scalar float timesteps; config reading; strict loading; the 1x1-conv
// projection variant; bf16.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "engine/models/sd/sd_config.h"
#include "engine/models/sd/unet2d.h"
#include "sd_reference.h"

namespace pictor::engine::sd {
namespace {

using namespace testing;
namespace fs = std::filesystem;

UNet2DConditionModel load_fixture_unet() {
  auto model = load_unet2d(fixture("unet"));
  EXPECT_TRUE(model.is_ok()) << model.status().message();
  return *model;
}

// encoder_hidden_states of the reference: te_last_hidden_state[:2] (prompts #0 and #4).
at::Tensor reference_context() { return ref("te_last_hidden_state").slice(0, 0, 2); }

TEST(SdUNetConfig, ReadsTheFixtureConfig) {
  auto c = UNet2DConfig::load(fixture("unet/config.json"));
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->block_out_channels, (std::vector<int64_t>{16, 32, 32, 32}));
  EXPECT_EQ(c->layers_per_block, (std::vector<int64_t>{2, 2, 2, 2}));
  // attention_head_dim [2, 4, 4, 4] is the number of heads (head size 8 everywhere).
  EXPECT_EQ(c->num_heads, (std::vector<int64_t>{2, 4, 4, 4}));
  EXPECT_EQ(c->cross_attention_dim, (std::vector<int64_t>{16, 16, 16, 16}));
  EXPECT_EQ(c->transformer_layers, (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_TRUE(c->use_linear_projection);
  EXPECT_TRUE(c->flip_sin_to_cos);
  EXPECT_EQ(c->freq_shift, 0);
  EXPECT_EQ(c->norm_num_groups, 8);
  EXPECT_EQ(c->time_embed_dim, 64);
  EXPECT_EQ(c->sample_size, 8);
  EXPECT_TRUE(c->mid_block);
  ASSERT_EQ(c->down_blocks.size(), 4u);
  EXPECT_EQ(c->down_blocks[0], DownBlockType::kCrossAttnDown);
  EXPECT_EQ(c->down_blocks[3], DownBlockType::kDown);
  EXPECT_EQ(c->up_blocks[0], UpBlockType::kUp);
  EXPECT_EQ(c->up_blocks[3], UpBlockType::kCrossAttnUp);
}

TEST(SdUNetConfig, DefaultsQuirkAndRefusals) {
  // An SD 1.x-style config: integer attention_head_dim (8 heads), no use_linear_projection key.
  auto sd1 = UNet2DConfig::from_json(R"({"attention_head_dim": 8, "cross_attention_dim": 768})");
  ASSERT_TRUE(sd1.is_ok()) << sd1.status().message();
  EXPECT_EQ(sd1->num_heads, (std::vector<int64_t>{8, 8, 8, 8}));
  EXPECT_EQ(sd1->block_out_channels, (std::vector<int64_t>{320, 640, 1280, 1280}));
  EXPECT_FALSE(sd1->use_linear_projection);
  EXPECT_EQ(sd1->norm_num_groups, 32);
  EXPECT_EQ(sd1->time_embed_dim, 1280);
  // num_attention_heads, when given, is the number of heads.
  auto heads = UNet2DConfig::from_json(R"({"attention_head_dim": 8, "num_attention_heads": [5, 10, 20, 20]})");
  ASSERT_TRUE(heads.is_ok()) << heads.status().message();
  EXPECT_EQ(heads->num_heads, (std::vector<int64_t>{5, 10, 20, 20}));
  // An explicit null mid block means none.
  auto no_mid = UNet2DConfig::from_json(R"({"mid_block_type": null})");
  ASSERT_TRUE(no_mid.is_ok());
  EXPECT_FALSE(no_mid->mid_block);

  auto sdxl = UNet2DConfig::from_json(R"({"addition_embed_type": "text_time"})");
  EXPECT_EQ(sdxl.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(sdxl.status().message().find("addition_embed_type"), std::string::npos);
  EXPECT_EQ(UNet2DConfig::from_json(R"({"time_cond_proj_dim": 256})").status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(UNet2DConfig::from_json(R"({"down_block_types": ["SimpleCrossAttnDownBlock2D"]})").status().code(),
            StatusCode::kUnsupported);
  EXPECT_EQ(UNet2DConfig::from_json(R"({"block_out_channels": [320, 640]})").status().code(),
            StatusCode::kCorruptData);
  EXPECT_EQ(UNet2DConfig::from_json("[1, 2]").status().code(), StatusCode::kCorruptData);
}

TEST(SdUNet, MatchesDiffusers) {
  torch::NoGradGuard no_grad;
  auto unet = load_fixture_unet();
  const auto ctx = reference_context();
  const auto t = input("unet_timesteps");  // int64 [999, 500]
  expect_close(unet(input("unet_latents_16x16"), t, ctx), ref("unet_out_16x16"), "unet_out_16x16");
  expect_close(unet(input("unet_latents_24x16"), t, ctx), ref("unet_out_24x16"), "unet_out_24x16");
  // A 0-d float timestep, as the pipelines pass it, applies to the whole batch.
  expect_close(unet(input("unet_latents_16x16"), torch::tensor(999.0f), ctx), ref("unet_out_16x16_t999_scalar_float"),
               "unet_out_16x16_t999_scalar_float");
}

// Sizes that are not a multiple of the total downsampling (8) follow the skip connections' sizes.
TEST(SdUNet, OddLatentSizes) {
  torch::NoGradGuard no_grad;
  auto unet = load_fixture_unet();
  auto out = unet(torch::randn({1, 4, 13, 10}), torch::tensor({250}), reference_context().slice(0, 0, 1));
  EXPECT_EQ(out.sizes(), (std::vector<int64_t>{1, 4, 13, 10}));
  EXPECT_TRUE(out.isfinite().all().item<bool>());
}

TEST(SdUNet, StrictLoadingNamesEveryBadTensor) {
  auto dir = temp_dir("unet");
  fs::copy_file(fixture("unet/config.json"), dir / "config.json", fs::copy_options::overwrite_existing);
  write_broken_copy(fixture("unet/diffusion_pytorch_model.safetensors"),
                    (dir / "diffusion_pytorch_model.safetensors").string(),
                    "up_blocks.3.attentions.2.transformer_blocks.0.attn2.to_k.weight",
                    "mid_block.attentions.0.proj_in.weight", {32, 32, 1, 1});
  auto model = load_unet2d(dir.string());
  ASSERT_FALSE(model.is_ok());
  const auto& msg = model.status().message();
  EXPECT_EQ(model.status().code(), StatusCode::kCorruptData);
  EXPECT_NE(msg.find("1 missing (up_blocks.3.attentions.2.transformer_blocks.0.attn2.to_k.weight)"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("mid_block.attentions.0.proj_in.weight (file [32, 32, 1, 1], model [32, 32])"),
            std::string::npos)
      << msg;
  // A config that disagrees with the weights (conv projections) lists every projection.
  auto config = UNet2DConfig::load(fixture("unet/config.json"));
  ASSERT_TRUE(config.is_ok());
  config->use_linear_projection = false;
  UNet2DConditionModel conv(*config);
  auto file = weights::SafetensorsFile::open(fixture("unet/diffusion_pytorch_model.safetensors"));
  ASSERT_TRUE(file.is_ok());
  auto st = load_module_strict(*conv, **file);
  EXPECT_NE(st.message().find("32 wrong shape"), std::string::npos) << st.message();
  fs::remove_all(dir);
}

// Transformer2DModel with 1x1-conv projections (SD 1.x, use_linear_projection false): with the
// linear weights reshaped to [C, C, 1, 1] it computes the same function.
TEST(SdUNet, ConvProjectionsMatchLinearProjections) {
  torch::NoGradGuard no_grad;
  auto linear = load_fixture_unet();
  auto config = linear->config();
  config.use_linear_projection = false;
  UNet2DConditionModel conv(config);
  auto src = linear->named_parameters();
  for (auto& p : conv->named_parameters()) {
    const auto& w = src[p.key()];
    p.value().copy_(w.view(p.value().sizes()));
  }
  const auto ctx = reference_context();
  const auto x = input("unet_latents_16x16");
  const auto t = input("unet_timesteps");
  expect_close(conv(x, t, ctx), linear(x, t, ctx), "conv vs linear projections", 1e-5);
}

// Same numbers whatever the thread count (DESIGN.md §5).
TEST(SdUNet, BitIdenticalAcrossThreadCounts) {
  torch::NoGradGuard no_grad;
  auto unet = load_fixture_unet();
  const auto ctx = reference_context();
  const auto t = input("unet_timesteps");
  const auto x = input("unet_latents_24x16");
  const int threads = at::get_num_threads();
  at::set_num_threads(1);
  auto one = unet(x, t, ctx);
  at::set_num_threads(2);
  auto two = unet(x, t, ctx);
  at::set_num_threads(threads);
  EXPECT_TRUE(torch::equal(one, two)) << max_abs_diff(one, two);
}

// bf16 weights and activations (group/layer norms and attention softmax in fp32) stay close to fp32.
TEST(SdUNet, Bf16StaysCloseToFp32) {
  torch::NoGradGuard no_grad;
  auto unet = load_fixture_unet();
  const auto ctx = reference_context();
  const auto t = input("unet_timesteps");
  const auto x = input("unet_latents_16x16");
  auto fp32 = unet(x, t, ctx);
  unet->set_dtype(torch::kBFloat16);
  EXPECT_EQ(unet->dtype(), torch::kBFloat16);
  auto bf16 = unet(x, t, ctx);
  EXPECT_EQ(bf16.scalar_type(), torch::kBFloat16);
  // Measured on the fixture: see docs/models/sd.md.
  expect_close(bf16, fp32, "bf16 unet_out_16x16", 2e-2);
}

}  // namespace
}  // namespace pictor::engine::sd
