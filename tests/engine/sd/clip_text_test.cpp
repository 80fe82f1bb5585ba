// CLIP text encoder (engine/models/sd/clip_text.h) vs transformers' CLIPTextModel on the
// sd-tiny-A fixture (random weights, gelu, legacy eos id 2): last_hidden_state, every hidden
// state, the penultimate layer through final_layer_norm, the pooled output; strict loading; bf16.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "engine/models/sd/clip_text.h"
#include "engine/models/sd/sd_config.h"
#include "sd_reference.h"

namespace pictor::engine::sd {
namespace {

using namespace testing;
namespace fs = std::filesystem;

ClipTextModel load_fixture_model() {
  auto model = load_clip_text_model(fixture("text_encoder"));
  EXPECT_TRUE(model.is_ok()) << model.status().message();
  return *model;
}

TEST(SdClipTextConfig, ReadsTheFixtureConfig) {
  auto c = ClipTextConfig::load(fixture("text_encoder/config.json"));
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->hidden_size, 16);
  EXPECT_EQ(c->num_layers, 2);
  EXPECT_EQ(c->num_heads, 2);
  EXPECT_EQ(c->intermediate_size, 64);
  EXPECT_EQ(c->act, ClipActivation::kGelu);
  EXPECT_DOUBLE_EQ(c->layer_norm_eps, 1e-5);
  EXPECT_EQ(c->max_positions, 77);
  EXPECT_EQ(c->vocab_size, 49408);
  EXPECT_EQ(c->eos_token_id, 2);
}

TEST(SdClipTextConfig, DefaultsAndRefusals) {
  auto c = ClipTextConfig::from_json(R"({"hidden_size": 768, "num_attention_heads": 12})");
  ASSERT_TRUE(c.is_ok());
  EXPECT_EQ(c->act, ClipActivation::kQuickGelu);  // transformers' default (SD 1.x)
  EXPECT_EQ(c->eos_token_id, 49407);
  auto full = ClipTextConfig::from_json(R"({"text_config": {"hidden_size": 32, "num_attention_heads": 4}})");
  ASSERT_TRUE(full.is_ok());
  EXPECT_EQ(full->hidden_size, 32);
  auto bad = ClipTextConfig::from_json(R"({"hidden_act": "relu"})");
  EXPECT_EQ(bad.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(bad.status().message().find("relu"), std::string::npos);
  EXPECT_EQ(ClipTextConfig::from_json(R"({"hidden_size": 10, "num_attention_heads": 3})").status().code(),
            StatusCode::kCorruptData);
  EXPECT_EQ(ClipTextConfig::load("/nonexistent/config.json").status().code(), StatusCode::kNotFound);
}

TEST(SdClipText, MatchesTransformers) {
  torch::NoGradGuard no_grad;
  auto model = load_fixture_model();
  const auto ids = ref("te_input_ids");  // [3, 77]
  auto out = model->forward(ids, /*clip_skip=*/1, /*keep_hidden_states=*/true);
  expect_close(out.last_hidden_state, ref("te_last_hidden_state"), "te_last_hidden_state");
  expect_close(out.skip_hidden_state, ref("te_penultimate_final_ln"), "te_penultimate_final_ln");
  expect_close(torch::stack(out.hidden_states), ref("te_hidden_states"), "te_hidden_states");
  expect_close(out.pooled, ref("te_pooler_output"), "te_pooler_output");
  // clip_skip 0 gives the last layer as skip_hidden_state.
  auto plain = model->forward(ids);
  EXPECT_TRUE(torch::equal(plain.skip_hidden_state, plain.last_hidden_state));
  EXPECT_TRUE(torch::equal(plain.last_hidden_state, out.last_hidden_state));
  EXPECT_TRUE(plain.hidden_states.empty());
}

TEST(SdClipText, PoolsAtTheFirstEosWhenTheConfigHasARealEosId) {
  torch::NoGradGuard no_grad;
  auto config = ClipTextConfig::load(fixture("text_encoder/config.json"));
  ASSERT_TRUE(config.is_ok());
  // Any eos id but the legacy 2 selects the first occurrence of that id (an artificial 320 here,
  // so that argmax(ids), at position 2, would differ).
  config->eos_token_id = 320;
  ClipTextModel model(*config);
  auto file = weights::SafetensorsFile::open(fixture("text_encoder/model.safetensors"));
  ASSERT_TRUE(file.is_ok());
  ASSERT_TRUE(load_module_strict(*model, **file).is_ok());
  auto ids = torch::tensor({49406, 320, 49407, 320, 0}, torch::kLong).view({1, 5});
  auto out = model->forward(ids);
  EXPECT_TRUE(torch::equal(out.pooled[0], out.last_hidden_state[0][1]));
}

TEST(SdClipText, StrictLoadingNamesEveryBadTensor) {
  auto dir = temp_dir("clip");
  fs::copy_file(fixture("text_encoder/config.json"), dir / "config.json", fs::copy_options::overwrite_existing);
  write_broken_copy(fixture("text_encoder/model.safetensors"), (dir / "model.safetensors").string(),
                    "text_model.final_layer_norm.bias", "text_model.encoder.layers.1.mlp.fc1.weight", {63, 16});
  auto model = load_clip_text_model(dir.string());
  ASSERT_FALSE(model.is_ok());
  const auto& msg = model.status().message();
  EXPECT_EQ(model.status().code(), StatusCode::kCorruptData);
  EXPECT_NE(msg.find("1 missing (text_model.final_layer_norm.bias)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("text_model.encoder.layers.1.mlp.fc1.weight (file [63, 16], model [64, 16])"),
            std::string::npos)
      << msg;
  fs::remove_all(dir);
}

TEST(SdClipText, MissingFolderIsNotFound) {
  auto model = load_clip_text_model("/nonexistent/text_encoder");
  ASSERT_FALSE(model.is_ok());
  EXPECT_EQ(model.status().code(), StatusCode::kNotFound);
}

// bf16 weights and activations (layer norms and attention softmax in fp32) stay close to fp32.
TEST(SdClipText, Bf16StaysCloseToFp32) {
  torch::NoGradGuard no_grad;
  auto model = load_fixture_model();
  const auto ids = ref("te_input_ids");
  auto fp32 = model->forward(ids, 1);
  model->set_dtype(torch::kBFloat16);
  auto bf16 = model->forward(ids, 1);
  EXPECT_EQ(bf16.last_hidden_state.scalar_type(), torch::kBFloat16);
  // Measured on the fixture: see docs/models/sd.md.
  expect_close(bf16.last_hidden_state, fp32.last_hidden_state, "bf16 last_hidden_state", 2e-2);
  expect_close(bf16.skip_hidden_state, fp32.skip_hidden_state, "bf16 penultimate_final_ln", 2e-2);
  expect_close(bf16.pooled, fp32.pooled, "bf16 pooled", 2e-2);
}

}  // namespace
}  // namespace pictor::engine::sd
