// Single-file checkpoints in the original LDM / Stability naming (engine/models/sd/single_file.h):
// the sd-tiny-A fp16 checkpoint loads into the same text encoder, UNet and VAE as the diffusers
// folder (same numbers, so the same outputs, checked against the Python references too); the
// key maps; family and config detection without hints on SD 1.x- and SD 2.x-shaped checkpoints
// written here; one clear error for a tampered file, a non-model file, SDXL and a missing tokenizer.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "engine/models/sd/ldm_keys.h"
#include "engine/models/sd/single_file.h"
#include "sd_reference.h"

namespace pictor::engine::sd {
namespace {

using namespace testing;
namespace fs = std::filesystem;

const std::string kCheckpoint = "sd-tiny-A-single-file-fp16.safetensors";

SingleFileHints fixture_hints() {
  auto h = SingleFileHints::from_diffusers_folder(fixture(""));
  EXPECT_TRUE(h.is_ok()) << h.status().message();
  return h.is_ok() ? *h : SingleFileHints{};
}

SingleFileModel load_fixture_single_file(SingleFileHints hints) {
  SingleFileOptions o;
  o.hints = std::move(hints);
  auto m = load_single_file(fixture(kCheckpoint), o);
  EXPECT_TRUE(m.is_ok()) << m.status().message();
  return m.is_ok() ? *m : SingleFileModel{};
}

// Every parameter and buffer of `a` equals (bitwise) the same-named one of `b`.
void expect_same_tensors(torch::nn::Module& a, torch::nn::Module& b, const std::string& what) {
  auto pa = a.named_parameters(true), pb = b.named_parameters(true);
  ASSERT_EQ(pa.size(), pb.size()) << what;
  size_t checked = 0;
  for (const auto& p : pa) {
    const at::Tensor* q = pb.find(p.key());
    ASSERT_NE(q, nullptr) << what << ": " << p.key();
    ASSERT_EQ(p.value().sizes(), q->sizes()) << what << ": " << p.key();
    EXPECT_TRUE(torch::equal(p.value(), *q)) << what << ": " << p.key();
    ++checked;
  }
  std::printf("  %s: %zu tensors identical\n", what.c_str(), checked);
}

TEST(SdSingleFileKeys, MapsDiffusersNamesToLdmKeys) {
  auto unet_config = UNet2DConfig::load(fixture("unet/config.json"));
  ASSERT_TRUE(unet_config.is_ok());
  const ldm::UNetKeyMap unet(*unet_config);
  auto key = [&](const std::string& n) { auto s = unet(n); return s ? s->key : std::string("<none>"); };
  const std::string P = "model.diffusion_model.";
  EXPECT_EQ(key("conv_in.weight"), P + "input_blocks.0.0.weight");
  EXPECT_EQ(key("time_embedding.linear_2.bias"), P + "time_embed.2.bias");
  EXPECT_EQ(key("down_blocks.0.resnets.1.time_emb_proj.weight"), P + "input_blocks.2.0.emb_layers.1.weight");
  EXPECT_EQ(key("down_blocks.1.resnets.0.conv_shortcut.weight"), P + "input_blocks.4.0.skip_connection.weight");
  EXPECT_EQ(key("down_blocks.1.attentions.1.proj_in.weight"), P + "input_blocks.5.1.proj_in.weight");
  EXPECT_EQ(key("down_blocks.0.downsamplers.0.conv.weight"), P + "input_blocks.3.0.op.weight");
  EXPECT_EQ(key("down_blocks.3.resnets.1.conv2.bias"), P + "input_blocks.11.0.out_layers.3.bias");
  EXPECT_EQ(key("mid_block.resnets.1.norm1.weight"), P + "middle_block.2.in_layers.0.weight");
  EXPECT_EQ(key("mid_block.attentions.0.transformer_blocks.0.attn2.to_k.weight"),
            P + "middle_block.1.transformer_blocks.0.attn2.to_k.weight");
  EXPECT_EQ(key("up_blocks.0.upsamplers.0.conv.weight"), P + "output_blocks.2.1.conv.weight");
  EXPECT_EQ(key("up_blocks.1.upsamplers.0.conv.weight"), P + "output_blocks.5.2.conv.weight");
  EXPECT_EQ(key("up_blocks.3.attentions.2.proj_out.bias"), P + "output_blocks.11.1.proj_out.bias");
  EXPECT_EQ(key("conv_norm_out.weight"), P + "out.0.weight");
  EXPECT_EQ(key("up_blocks.3.upsamplers.0.conv.weight"), "<none>");  // the finest block has none

  auto vae = [](const std::string& n) { auto s = ldm::vae_key(n, 4); return s ? s->key : std::string("<none>"); };
  const std::string V = "first_stage_model.";
  EXPECT_EQ(vae("encoder.down_blocks.1.resnets.0.conv_shortcut.weight"), V + "encoder.down.1.block.0.nin_shortcut.weight");
  EXPECT_EQ(vae("encoder.down_blocks.2.downsamplers.0.conv.bias"), V + "encoder.down.2.downsample.conv.bias");
  EXPECT_EQ(vae("decoder.up_blocks.0.upsamplers.0.conv.weight"), V + "decoder.up.3.upsample.conv.weight");
  EXPECT_EQ(vae("decoder.up_blocks.3.resnets.2.norm2.bias"), V + "decoder.up.0.block.2.norm2.bias");
  EXPECT_EQ(vae("decoder.mid_block.resnets.1.conv1.weight"), V + "decoder.mid.block_2.conv1.weight");
  EXPECT_EQ(vae("encoder.conv_norm_out.weight"), V + "encoder.norm_out.weight");
  auto q = ldm::vae_key("decoder.mid_block.attentions.0.to_out.0.weight", 4);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->key, V + "decoder.mid.attn_1.proj_out.weight");
  EXPECT_EQ(q->kind, ldm::Source::Kind::kSqueeze);

  auto k = ldm::open_clip_key("text_model.encoder.layers.1.self_attn.k_proj.bias");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->key, "cond_stage_model.model.transformer.resblocks.1.attn.in_proj_bias");
  EXPECT_EQ(k->kind, ldm::Source::Kind::kChunk);
  EXPECT_EQ(k->chunk, 1);
  EXPECT_EQ(ldm::open_clip_key("text_model.embeddings.position_embedding.weight")->key,
            "cond_stage_model.model.positional_embedding");
  EXPECT_EQ(ldm::open_clip_key("text_model.encoder.layers.0.mlp.fc2.weight")->key,
            "cond_stage_model.model.transformer.resblocks.0.mlp.c_proj.weight");
  EXPECT_EQ(ldm::clip_key("text_model.final_layer_norm.bias")->key,
            "cond_stage_model.transformer.text_model.final_layer_norm.bias");
}

TEST(SdSingleFile, DetectsTheFixtureAsSd2) {
  auto file = weights::SafetensorsFile::open(fixture(kCheckpoint));
  ASSERT_TRUE(file.is_ok());
  // With the folder's configs as hints, every size inferred from the shapes must agree with them
  // (detect_single_file compares them).
  auto c = detect_single_file(**file, fixture_hints());
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->family, SdFamily::kSd2);
  EXPECT_EQ(c->text_layers_in_file, 2);
  EXPECT_EQ(c->text.num_layers, 2);
  EXPECT_EQ(c->unet.block_out_channels, (std::vector<int64_t>{16, 32, 32, 32}));
  for (const auto& a : c->assumed) std::printf("  assumed: %s\n", a.c_str());

  // Without hints the tiny sizes leave the group count and heads open: one error lists them.
  auto bare = detect_single_file(**file);
  ASSERT_FALSE(bare.is_ok());
  EXPECT_EQ(bare.status().code(), StatusCode::kInvalidArgument);
  const std::string msg = bare.status().message();
  std::printf("  no hints: %s\n", msg.c_str());
  EXPECT_NE(msg.find("SD 2.x"), std::string::npos);
  EXPECT_NE(msg.find("unet.norm_num_groups"), std::string::npos);
  EXPECT_NE(msg.find("text attention heads"), std::string::npos);
  EXPECT_NE(msg.find("hints"), std::string::npos);

  // A hint that contradicts the shapes is named.
  auto hints = fixture_hints();
  hints.unet->block_out_channels = {16, 32, 32, 64};
  auto wrong = detect_single_file(**file, hints);
  ASSERT_FALSE(wrong.is_ok());
  EXPECT_NE(wrong.status().message().find("unet.block_out_channels [16, 32, 32, 64] (checkpoint: [16, 32, 32, 32])"),
            std::string::npos)
      << wrong.status().message();
}

TEST(SdSingleFile, Fp16CheckpointMatchesTheDiffusersFolder) {
  torch::NoGradGuard no_grad;
  auto m = load_fixture_single_file(fixture_hints());
  ASSERT_TRUE(m.unet);
  EXPECT_EQ(fs::path(m.tokenizer_folder), fs::path(fixture("tokenizer")));
  auto te = load_clip_text_model(fixture("text_encoder"));
  auto unet = load_unet2d(fixture("unet"));
  auto vae = load_autoencoder_kl(fixture("vae"));
  ASSERT_TRUE(te.is_ok() && unet.is_ok() && vae.is_ok());
  // The fp16 file holds the folder's fp32 numbers exactly (fixture README, "Weights").
  expect_same_tensors(**te, *m.text_encoder, "text encoder");
  expect_same_tensors(**unet, *m.unet, "unet");
  expect_same_tensors(**vae, *m.vae, "vae");

  const auto ids = ref("te_input_ids");
  const auto enc = m.text_encoder->forward(ids, /*clip_skip=*/1);
  const auto enc_folder = (*te)->forward(ids, 1);
  EXPECT_EQ(max_abs_diff(enc.last_hidden_state, enc_folder.last_hidden_state), 0.0);
  expect_close(enc.last_hidden_state, ref("te_last_hidden_state"), "te_last_hidden_state");
  expect_close(enc.skip_hidden_state, ref("te_penultimate_final_ln"), "te_penultimate_final_ln");
  expect_close(enc.pooled, ref("te_pooler_output"), "te_pooler_output");

  const auto ctx = ref("te_last_hidden_state").slice(0, 0, 2);
  const auto t = input("unet_timesteps");
  for (const char* size : {"16x16", "24x16"}) {
    const auto x = input(std::string("unet_latents_") + size);
    const auto out = m.unet->forward(x, t, ctx);
    EXPECT_EQ(max_abs_diff(out, (*unet)->forward(x, t, ctx)), 0.0) << size;
    const std::string name = std::string("unet_out_") + size;
    expect_close(out, ref(name.c_str()), name);
  }

  const auto dec = m.vae->decode(input("vae_latent_8x8"));
  EXPECT_EQ(max_abs_diff(dec, (*vae)->decode(input("vae_latent_8x8"))), 0.0);
  expect_close(dec, ref("vae_decode_8x8"), "vae_decode_8x8");
  const auto post = m.vae->encode(input("vae_image_64x64"));
  expect_close(post.mean, ref("vae_encode_mean"), "vae_encode_mean");
  expect_close(post.logvar, ref("vae_encode_logvar"), "vae_encode_logvar");
}

// The LDM "penultimate" rule: a text hint with one layer fewer than the file leaves the last
// resblock out; its last_hidden_state is then the reference's clip_skip=1 output.
TEST(SdSingleFile, PenultimateTextLayer) {
  torch::NoGradGuard no_grad;
  auto hints = fixture_hints();
  hints.text->num_layers = 1;
  auto m = load_fixture_single_file(hints);
  ASSERT_TRUE(m.text_encoder);
  EXPECT_EQ(m.config.text.num_layers, 1);
  const auto enc = m.text_encoder->forward(ref("te_input_ids"));
  expect_close(enc.last_hidden_state, ref("te_penultimate_final_ln"), "penultimate last_hidden_state");
}

// A copy of the fixture checkpoint with one tensor renamed and another reshaped.
TEST(SdSingleFile, TamperedCheckpointNamesTheOriginalKeys) {
  const auto dir = temp_dir("single-file-tampered");
  const std::string path = (dir / "tampered.safetensors").string();
  const std::string renamed = "first_stage_model.decoder.mid.attn_1.q.weight";
  const std::string reshaped = "model.diffusion_model.input_blocks.4.1.proj_out.weight";
  const std::string fused = "cond_stage_model.model.transformer.resblocks.1.attn.in_proj_weight";
  {
    auto f = weights::SafetensorsFile::open(fixture(kCheckpoint));
    ASSERT_TRUE(f.is_ok());
    weights::SafetensorsWriter w;
    for (const auto& t : (*f)->tensors()) {
      if (t.name == reshaped) add_tensor(w, t.name, torch::zeros({32, 31}, torch::kHalf));
      else if (t.name == fused) add_tensor(w, t.name, torch::zeros({45, 16}, torch::kHalf));
      else w.add(t.name == renamed ? "first_stage_model.decoder.mid.attn_1.query.weight" : t.name, t.dtype, t.shape,
                 std::span<const uint8_t>(t.data, t.nbytes));
    }
    ASSERT_TRUE(w.write(path).is_ok());
  }
  SingleFileOptions o;
  o.hints = fixture_hints();
  o.tokenizer_folder = fixture("tokenizer");
  auto m = load_single_file(path, o);
  ASSERT_FALSE(m.is_ok());
  EXPECT_EQ(m.status().code(), StatusCode::kCorruptData);
  const std::string msg = m.status().message();
  std::printf("  %s\n", msg.c_str());
  EXPECT_NE(msg.find("1 missing (" + renamed + ")"), std::string::npos);
  EXPECT_NE(msg.find("1 unexpected (first_stage_model.decoder.mid.attn_1.query.weight)"), std::string::npos);
  EXPECT_NE(msg.find("2 wrong shape ("), std::string::npos);
  EXPECT_NE(msg.find(reshaped + " (file [32, 31], expected [32, 32])"), std::string::npos);
  EXPECT_NE(msg.find(fused + " (file [45, 16], expected [48, 16])"), std::string::npos);
  fs::remove_all(dir);
}

TEST(SdSingleFile, ClearErrorsForOtherFiles) {
  const auto dir = temp_dir("single-file-others");
  SingleFileOptions o;
  o.hints = fixture_hints();
  // A safetensors file that is not a model.
  {
    weights::SafetensorsWriter w;
    add_tensor(w, "embedding", torch::zeros({4, 3}));
    ASSERT_TRUE(w.write((dir / "data.safetensors").string()).is_ok());
    auto m = load_single_file((dir / "data.safetensors").string(), o);
    ASSERT_FALSE(m.is_ok());
    EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(m.status().message().find("is not a Stable Diffusion checkpoint"), std::string::npos)
        << m.status().message();
    std::printf("  %s\n", m.status().message().c_str());
  }
  // A diffusers component file.
  {
    auto m = load_single_file(fixture("unet/diffusion_pytorch_model.safetensors"), o);
    ASSERT_FALSE(m.is_ok());
    EXPECT_NE(m.status().message().find("diffusers"), std::string::npos) << m.status().message();
    std::printf("  %s\n", m.status().message().c_str());
  }
  // SDXL.
  {
    weights::SafetensorsWriter w;
    add_tensor(w, "conditioner.embedders.1.model.ln_final.weight", torch::ones({8}));
    add_tensor(w, "model.diffusion_model.input_blocks.0.0.weight", torch::zeros({8, 4, 3, 3}));
    ASSERT_TRUE(w.write((dir / "xl.safetensors").string()).is_ok());
    auto m = load_single_file((dir / "xl.safetensors").string(), o);
    ASSERT_FALSE(m.is_ok());
    EXPECT_EQ(m.status().code(), StatusCode::kUnsupported);
    EXPECT_NE(m.status().message().find("SDXL is not supported yet"), std::string::npos) << m.status().message();
  }
  // Not a safetensors file at all.
  {
    { std::ofstream(dir / "junk.safetensors") << "definitely not safetensors"; }
    EXPECT_FALSE(load_single_file((dir / "junk.safetensors").string(), o).is_ok());
  }
  // No tokenizer next to the checkpoint and none given.
  {
    fs::copy_file(fixture(kCheckpoint), dir / "model.safetensors");
    auto m = load_single_file((dir / "model.safetensors").string(), o);
    ASSERT_FALSE(m.is_ok());
    EXPECT_EQ(m.status().code(), StatusCode::kNotFound);
    EXPECT_NE(m.status().message().find("carry no tokenizer"), std::string::npos) << m.status().message();
    std::printf("  %s\n", m.status().message().c_str());
    o.tokenizer_folder = fixture("tokenizer");
    EXPECT_TRUE(load_single_file((dir / "model.safetensors").string(), o).is_ok());
  }
  fs::remove_all(dir);
}

// ---- detection without hints on checkpoints with the real families' rules -----------------------

// Writes the modules' tensors under their LDM keys (fusing q/k/v, 1x1-conv VAE attention), the
// inverse of the loader, plus `extra` tensors.
void write_ldm(const std::string& path, const SingleFileConfig& c, ClipTextModelImpl& te,
               UNet2DConditionModelImpl& unet, AutoencoderKLImpl& vae,
               const std::vector<std::pair<std::string, at::Tensor>>& extra) {
  weights::SafetensorsWriter w;
  std::map<std::string, std::vector<at::Tensor>> fused;
  auto put = [&](torch::nn::Module& m, auto map) {
    for (const auto& p : m.named_parameters(true)) {
      auto s = map(p.key());
      ASSERT_TRUE(s) << p.key();
      if (s->kind == ldm::Source::Kind::kChunk) {
        auto& parts = fused[s->key];
        parts.resize(s->chunks);
        parts[s->chunk] = p.value();
      } else if (s->kind == ldm::Source::Kind::kSqueeze) {
        auto v = p.value();
        add_tensor(w, s->key, v.dim() == 2 ? v.reshape({v.size(0), v.size(1), 1, 1}) : v);
      } else {
        add_tensor(w, s->key, p.value());
      }
    }
  };
  const ldm::UNetKeyMap unet_map(c.unet);
  put(unet, [&](const std::string& n) { return unet_map(n); });
  put(vae, [&](const std::string& n) { return ldm::vae_key(n, c.vae.block_out_channels.size()); });
  if (c.family == SdFamily::kSd1) put(te, [](const std::string& n) { return ldm::clip_key(n); });
  else put(te, [](const std::string& n) { return ldm::open_clip_key(n); });
  for (auto& [k, parts] : fused) add_tensor(w, k, torch::cat(parts, 0));
  for (const auto& [k, t] : extra) add_tensor(w, k, t);
  ASSERT_TRUE(w.write(path).is_ok());
}

void check_family_without_hints(SdFamily family) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(7);
  const bool sd1 = family == SdFamily::kSd1;
  // Channels that the family rules fit: 32 groups, 8 heads (SD 1.x) or head size 64 (SD 2.x).
  auto unet_c = UNet2DConfig::from_json(std::string(R"({"block_out_channels": [64, 128], "layers_per_block": 1,
      "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"], "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
      "cross_attention_dim": 64, "attention_head_dim": )") + (sd1 ? "8" : "[1, 2]") +
                                        R"(, "use_linear_projection": )" + (sd1 ? "false" : "true") + "}");
  ASSERT_TRUE(unet_c.is_ok()) << unet_c.status().message();
  auto text_c = ClipTextConfig::from_json(std::string(R"({"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 1,
      "intermediate_size": 256, "vocab_size": 1000, "bos_token_id": 0, "eos_token_id": 2, "pad_token_id": 1,
      "hidden_act": ")") + (sd1 ? "quick_gelu" : "gelu") + "\"}");
  ASSERT_TRUE(text_c.is_ok()) << text_c.status().message();
  auto vae_c = AutoencoderKLConfig::from_json(R"({"block_out_channels": [32, 64], "layers_per_block": 1, "norm_num_groups": 32})");
  ASSERT_TRUE(vae_c.is_ok()) << vae_c.status().message();
  SingleFileConfig c;
  c.family = family;
  c.unet = *unet_c;
  c.text = *text_c;
  c.vae = *vae_c;
  UNet2DConditionModel unet(c.unet);
  ClipTextModel te(c.text);
  AutoencoderKL vae(c.vae);
  // Real checkpoints: training buffers beside the models; SD 2.x has one more text block, which
  // LDM's "penultimate" layer skips, and the OpenCLIP projection.
  std::vector<std::pair<std::string, at::Tensor>> extra = {{"alphas_cumprod", torch::rand({1000})},
                                                           {"model_ema.decay", torch::ones({})}};
  if (!sd1) {
    ClipTextConfig three = c.text;
    three.num_layers = 3;
    ClipTextModel te3(three);
    for (const auto& p : te3->named_parameters(true))
      if (p.key().rfind("text_model.encoder.layers.2.", 0) == 0) {
        auto s = ldm::open_clip_key(p.key());
        if (s->kind == ldm::Source::Kind::kChunk) {
          if (s->chunk == 0) extra.emplace_back(s->key, torch::cat({p.value(), p.value(), p.value()}, 0));
        } else {
          extra.emplace_back(s->key, p.value());
        }
      }
    extra.emplace_back("cond_stage_model.model.text_projection", torch::rand({64, 64}));
    extra.emplace_back("cond_stage_model.model.logit_scale", torch::ones({}));
  }
  const auto dir = temp_dir(std::string("single-file-") + (sd1 ? "sd1" : "sd2"));
  const std::string path = (dir / "model.safetensors").string();
  write_ldm(path, c, *te, *unet, *vae, extra);

  SingleFileOptions o;
  o.require_tokenizer = false;
  auto m = load_single_file(path, o);
  ASSERT_TRUE(m.is_ok()) << m.status().message();
  EXPECT_EQ(m->config.family, family);
  EXPECT_EQ(m->config.unet.block_out_channels, c.unet.block_out_channels);
  EXPECT_EQ(m->config.unet.num_heads, c.unet.num_heads);
  EXPECT_EQ(m->config.unet.norm_num_groups, 32);
  EXPECT_EQ(m->config.unet.use_linear_projection, !sd1);
  EXPECT_EQ(m->config.unet.cross_attention_dim, c.unet.cross_attention_dim);
  EXPECT_EQ(m->config.unet.down_blocks, c.unet.down_blocks);
  EXPECT_EQ(m->config.unet.up_blocks, c.unet.up_blocks);
  EXPECT_EQ(m->config.text.num_layers, 2);
  EXPECT_EQ(m->config.text_layers_in_file, sd1 ? 2 : 3);
  EXPECT_EQ(m->config.text.num_heads, 1);
  EXPECT_EQ(m->config.text.act, sd1 ? ClipActivation::kQuickGelu : ClipActivation::kGelu);
  EXPECT_EQ(m->config.vae.block_out_channels, c.vae.block_out_channels);
  EXPECT_DOUBLE_EQ(m->config.vae.scaling_factor, 0.18215);
  expect_same_tensors(*te, *m->text_encoder, "text encoder");
  expect_same_tensors(*unet, *m->unet, "unet");
  expect_same_tensors(*vae, *m->vae, "vae");
  const auto ids = torch::randint(0, 1000, {1, 77}, torch::kLong);
  EXPECT_EQ(max_abs_diff(m->text_encoder->forward(ids).last_hidden_state, te->forward(ids).last_hidden_state), 0.0);
  const auto x = torch::randn({1, 4, 8, 8});
  const auto ctx = torch::randn({1, 77, 64});
  const auto tt = torch::tensor({500}, torch::kLong);
  EXPECT_EQ(max_abs_diff(m->unet->forward(x, tt, ctx), unet->forward(x, tt, ctx)), 0.0);
  fs::remove_all(dir);
}

TEST(SdSingleFile, DetectsSd1WithoutHints) { check_family_without_hints(SdFamily::kSd1); }
TEST(SdSingleFile, DetectsSd2WithoutHints) { check_family_without_hints(SdFamily::kSd2); }

}  // namespace
}  // namespace pictor::engine::sd
