#include "engine/models/sd/single_file.h"

#include <torch/torch.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <functional>
#include <set>
#include <sstream>

#include "engine/models/sd/ldm_keys.h"
#include "engine/module_io.h"

namespace pictor::engine::sd {

namespace {

using weights::SafetensorsFile;
using weights::TensorInfo;

std::string list_str(const std::vector<int64_t>& v) {
  std::ostringstream o;
  o << "[";
  for (size_t i = 0; i < v.size(); ++i) o << (i ? ", " : "") << v[i];
  o << "]";
  return o.str();
}

// Name and shape queries on a checkpoint (its tensors are sorted by name).
class Keys {
 public:
  explicit Keys(const SafetensorsFile& f) : f_(f) {}
  const TensorInfo* get(const std::string& k) const { return f_.find(k); }
  bool has(const std::string& k) const { return f_.find(k) != nullptr; }
  bool any_prefix(const std::string& p) const {
    const auto& t = f_.tensors();
    auto it = std::lower_bound(t.begin(), t.end(), p,
                               [](const TensorInfo& a, const std::string& b) { return a.name < b; });
    return it != t.end() && it->name.compare(0, p.size(), p) == 0;
  }
  // The distinct integers N of keys "<prefix>N.…", ascending.
  std::vector<int64_t> indices(const std::string& prefix) const {
    std::set<int64_t> out;
    for (const auto& t : f_.tensors()) {
      if (t.name.compare(0, prefix.size(), prefix) != 0) continue;
      const char* b = t.name.data() + prefix.size();
      const char* e = t.name.data() + t.name.size();
      int64_t v = 0;
      auto [p, ec] = std::from_chars(b, e, v);
      if (ec == std::errc() && p != b && (p == e || *p == '.')) out.insert(v);
    }
    return {out.begin(), out.end()};
  }
  // Shape of a tensor that must exist with `rank` dims (kCorruptData naming it otherwise).
  Result<std::vector<int64_t>> shape(const std::string& k, size_t rank) const {
    const TensorInfo* t = get(k);
    if (!t) return corrupt_data("checkpoint " + f_.path() + " has no tensor " + k);
    if (t->shape.size() != rank)
      return corrupt_data("checkpoint " + f_.path() + ": " + k + " has shape " + list_str(t->shape) +
                          ", expected " + std::to_string(rank) + " dimensions");
    return t->shape;
  }
  const SafetensorsFile& file() const { return f_; }

 private:
  const SafetensorsFile& f_;
};

#define ASSIGN_SHAPE(var, expr)          \
  auto var##_r = (expr);                 \
  if (!var##_r.is_ok()) return var##_r.status(); \
  const std::vector<int64_t> var = *var##_r

// What a file that is not an LDM SD 1.x/2.x checkpoint looks like, as an error; ok if it is one.
Status check_kind(const Keys& k) {
  const auto& f = k.file();
  if (k.any_prefix("conditioner.embedders."))
    return unsupported("SDXL is not supported yet: " + f.path() +
                       " is an SDXL checkpoint (conditioner.embedders.* text encoders)");
  if (k.any_prefix("model.diffusion_model.joint_blocks."))
    return unsupported("SD 3 is not supported: " + f.path() + " has model.diffusion_model.joint_blocks.*");
  if (k.any_prefix("double_blocks.") || k.any_prefix("model.diffusion_model.double_blocks."))
    return unsupported("Flux is not supported: " + f.path() + " has double_blocks.*");
  if (!k.any_prefix(ldm::kUNetPrefix)) {
    std::string what = "no model.diffusion_model.* (UNet) tensors";
    for (const auto& t : f.tensors()) {
      if (t.name.find("lora") != std::string::npos) {
        what = "it looks like a LoRA / adapter file (" + t.name + ")";
        break;
      }
    }
    if (k.any_prefix("down_blocks.") || k.any_prefix("text_model.") || k.any_prefix("encoder.down_blocks."))
      what = "it looks like one diffusers / transformers component (" + f.tensors().front().name +
             "): load its folder instead";
    std::string first;
    for (size_t i = 0; i < f.tensors().size() && i < 3; ++i) first += (i ? ", " : "") + f.tensors()[i].name;
    return invalid_argument(f.path() + " is not a Stable Diffusion checkpoint: " + what +
                            (first.empty() ? " (no tensors)" : " (first tensors: " + first + ")"));
  }
  if (k.any_prefix(std::string(ldm::kUNetPrefix) + "label_emb."))
    return unsupported("class-conditioned UNets (model.diffusion_model.label_emb: SD unCLIP, x4 upscaler) "
                       "are not supported yet: " + f.path());
  if (!k.any_prefix(ldm::kVaePrefix))
    return corrupt_data("checkpoint " + f.path() + " has no VAE (first_stage_model.*)");
  if (!k.any_prefix(ldm::kClipPrefix) && !k.any_prefix(ldm::kOpenClipPrefix))
    return corrupt_data("checkpoint " + f.path() + " has no text encoder (cond_stage_model.transformer.* "
                        "or cond_stage_model.model.*)");
  return Status::ok();
}

// ---- UNet ----------------------------------------------------------------------------------

Result<UNet2DConfig> infer_unet(const Keys& k, SdFamily family) {
  const std::string P = ldm::kUNetPrefix;
  const std::string& path = k.file().path();
  UNet2DConfig c;
  ASSIGN_SHAPE(conv_in, k.shape(P + "input_blocks.0.0.weight", 4));
  ASSIGN_SHAPE(conv_out, k.shape(P + "out.2.weight", 4));
  ASSIGN_SHAPE(temb, k.shape(P + "time_embed.0.weight", 2));
  c.in_channels = conv_in[1];
  c.out_channels = conv_out[0];
  c.time_embed_dim = temb[0];
  c.sample_size = 64;

  // input_blocks.K: resnets (…0.in_layers) until a downsampler (…0.op) closes a level.
  const auto in_idx = k.indices(P + "input_blocks.");
  std::vector<std::vector<int64_t>> levels(1);
  for (int64_t i : in_idx) {
    if (i == 0) continue;
    const std::string b = P + "input_blocks." + std::to_string(i) + ".0.";
    if (k.has(b + "op.weight")) levels.emplace_back();
    else if (k.has(b + "in_layers.0.weight")) levels.back().push_back(i);
    else return unsupported("checkpoint " + path + ": input_blocks." + std::to_string(i) +
                            " is neither a ResBlock nor a conv downsampler");
  }
  bool linear = false, linear_set = false;
  int64_t context = 0;
  for (size_t lv = 0; lv < levels.size(); ++lv) {
    if (levels[lv].empty()) return corrupt_data("checkpoint " + path + ": UNet level " + std::to_string(lv) + " has no ResBlocks");
    const std::string first = P + "input_blocks." + std::to_string(levels[lv][0]);
    ASSIGN_SHAPE(out_conv, k.shape(first + ".0.out_layers.3.weight", 4));
    c.block_out_channels.push_back(out_conv[0]);
    c.layers_per_block.push_back(int64_t(levels[lv].size()));
    const bool attn = k.has(first + ".1.proj_in.weight");
    for (int64_t i : levels[lv])
      if (k.has(P + "input_blocks." + std::to_string(i) + ".1.proj_in.weight") != attn)
        return unsupported("checkpoint " + path + ": UNet level " + std::to_string(lv) +
                           " mixes blocks with and without attention");
    c.down_blocks.push_back(attn ? DownBlockType::kCrossAttnDown : DownBlockType::kDown);
    int64_t layers = 1, ctx = 0;
    if (attn) {
      layers = int64_t(k.indices(first + ".1.transformer_blocks.").size());
      ASSIGN_SHAPE(to_k, k.shape(first + ".1.transformer_blocks.0.attn2.to_k.weight", 2));
      ctx = to_k[1];
      if (!context) context = ctx;
      const TensorInfo* proj = k.get(first + ".1.proj_in.weight");
      const bool lin = proj->shape.size() == 2;
      if (linear_set && lin != linear)
        return unsupported("checkpoint " + path + ": UNet mixes linear and 1x1-conv attention projections");
      linear = lin;
      linear_set = true;
    }
    c.transformer_layers.push_back(layers);
    c.cross_attention_dim.push_back(ctx);
  }
  const std::string mid = P + "middle_block.";
  if (k.any_prefix(mid)) {
    if (!k.has(mid + "1.proj_in.weight") || !k.has(mid + "2.in_layers.0.weight"))
      return unsupported("checkpoint " + path + ": the UNet's middle block is not ResBlock, attention, ResBlock");
    if (!context) {
      ASSIGN_SHAPE(to_k, k.shape(mid + "1.transformer_blocks.0.attn2.to_k.weight", 2));
      context = to_k[1];
    }
  } else {
    c.mid_block = false;
  }
  if (!context) return unsupported("checkpoint " + path + ": the UNet has no cross-attention");
  for (auto& d : c.cross_attention_dim)
    if (!d) d = context;
  // The mid block's transformer depth comes from the last level in UNet2DConfig; check it agrees.
  if (c.mid_block && int64_t(k.indices(mid + "1.transformer_blocks.").size()) != c.transformer_layers.back()) {
    if (c.down_blocks.back() == DownBlockType::kDown)
      c.transformer_layers.back() = int64_t(k.indices(mid + "1.transformer_blocks.").size());
    else
      return unsupported("checkpoint " + path + ": the middle block's transformer depth differs from the last level's");
  }
  c.use_linear_projection = linear;

  // output_blocks: level i (coarsest first) has layers_per_block[n-1-i] + 1 ResBlocks.
  const size_t n = levels.size();
  const auto out_idx = k.indices(P + "output_blocks.");
  int64_t expected_out = 0;
  for (auto l : c.layers_per_block) expected_out += l + 1;
  if (int64_t(out_idx.size()) != expected_out || (!out_idx.empty() && out_idx.back() != expected_out - 1))
    return corrupt_data("checkpoint " + path + ": " + std::to_string(out_idx.size()) +
                        " output_blocks, expected " + std::to_string(expected_out) + " for layers_per_block " +
                        list_str(c.layers_per_block));
  int64_t o = 0;
  for (size_t i = 0; i < n; ++i) {
    const int64_t layers = c.layers_per_block[n - 1 - i] + 1;
    const bool attn = k.has(P + "output_blocks." + std::to_string(o) + ".1.proj_in.weight");
    c.up_blocks.push_back(attn ? UpBlockType::kCrossAttnUp : UpBlockType::kUp);
    o += layers;
  }

  // Not in the weights: LDM's fixed choices and the family's head rule.
  c.flip_sin_to_cos = true;
  c.freq_shift = 0;
  c.center_input_sample = false;
  c.downsample_padding = 1;
  c.mid_block_scale_factor = 1;
  c.norm_eps = 1e-5;
  c.norm_num_groups = 32;
  c.upcast_attention = false;
  for (int64_t ch : c.block_out_channels)
    c.num_heads.push_back(family == SdFamily::kSd1 ? 8 : (ch % 64 == 0 ? ch / 64 : 0));
  return c;
}

// ---- text encoder ---------------------------------------------------------------------------

Result<ClipTextConfig> infer_text(const Keys& k, SdFamily family, bool infix, int64_t* layers_in_file) {
  ClipTextConfig c;
  std::vector<int64_t> tok, pos, fc1;
  if (family == SdFamily::kSd1) {
    const std::string P = std::string(ldm::kClipPrefix) + (infix ? "text_model." : "");
    ASSIGN_SHAPE(t, k.shape(P + "embeddings.token_embedding.weight", 2));
    ASSIGN_SHAPE(p, k.shape(P + "embeddings.position_embedding.weight", 2));
    ASSIGN_SHAPE(f, k.shape(P + "encoder.layers.0.mlp.fc1.weight", 2));
    tok = t, pos = p, fc1 = f;
    *layers_in_file = int64_t(k.indices(P + "encoder.layers.").size());
    c.act = ClipActivation::kQuickGelu;
  } else {
    const std::string P = ldm::kOpenClipPrefix;
    ASSIGN_SHAPE(t, k.shape(P + "token_embedding.weight", 2));
    ASSIGN_SHAPE(p, k.shape(P + "positional_embedding", 2));
    ASSIGN_SHAPE(f, k.shape(P + "transformer.resblocks.0.mlp.c_fc.weight", 2));
    tok = t, pos = p, fc1 = f;
    *layers_in_file = int64_t(k.indices(P + "transformer.resblocks.").size());
    c.act = ClipActivation::kGelu;
  }
  c.vocab_size = tok[0];
  c.hidden_size = tok[1];
  c.max_positions = pos[0];
  c.intermediate_size = fc1[0];
  // SD 2.x: LDM's FrozenOpenCLIPEmbedder(layer="penultimate") skips the last block; diffusers'
  // SD 2 folders store the model without it.
  c.num_layers = family == SdFamily::kSd2 ? *layers_in_file - 1 : *layers_in_file;
  if (c.num_layers < 1) return corrupt_data("checkpoint " + k.file().path() + ": the text encoder has too few layers");
  c.num_heads = c.hidden_size % 64 == 0 ? c.hidden_size / 64 : 0;
  c.layer_norm_eps = 1e-5;
  // The legacy ids of the SD text_encoder configs (pooling at argmax(ids)).
  c.bos_token_id = 0;
  c.eos_token_id = 2;
  c.pad_token_id = 1;
  return c;
}

// ---- VAE ------------------------------------------------------------------------------------

Result<AutoencoderKLConfig> infer_vae(const Keys& k) {
  const std::string P = ldm::kVaePrefix;
  AutoencoderKLConfig c;
  const auto levels = k.indices(P + "encoder.down.");
  if (levels.empty()) return corrupt_data("checkpoint " + k.file().path() + " has no first_stage_model.encoder.down.*");
  c.block_out_channels.clear();
  for (int64_t lv : levels) {
    ASSIGN_SHAPE(conv1, k.shape(P + "encoder.down." + std::to_string(lv) + ".block.0.conv1.weight", 4));
    c.block_out_channels.push_back(conv1[0]);
  }
  c.layers_per_block = int64_t(k.indices(P + "encoder.down.0.block.").size());
  ASSIGN_SHAPE(enc_in, k.shape(P + "encoder.conv_in.weight", 4));
  ASSIGN_SHAPE(dec_in, k.shape(P + "decoder.conv_in.weight", 4));
  ASSIGN_SHAPE(dec_out, k.shape(P + "decoder.conv_out.weight", 4));
  c.in_channels = enc_in[1];
  c.latent_channels = dec_in[1];
  c.out_channels = dec_out[0];
  c.mid_block_add_attention = k.has(P + "encoder.mid.attn_1.q.weight");
  c.use_quant_conv = k.has(P + "quant_conv.weight");
  c.use_post_quant_conv = k.has(P + "post_quant_conv.weight");
  c.norm_num_groups = 32;
  c.scaling_factor = 0.18215;
  c.force_upcast = true;
  return c;
}

// A hint that contradicts the file's shapes.
template <typename T>
void compare(std::vector<std::string>& errors, const std::string& what, const T& hint, const T& file,
             const std::function<std::string(const T&)>& str) {
  if (!(hint == file)) errors.push_back(what + " " + str(hint) + " (checkpoint: " + str(file) + ")");
}
std::string i64(const int64_t& v) { return std::to_string(v); }
std::string boolean(const bool& v) { return v ? "true" : "false"; }
template <typename E>
std::string enums(const std::vector<E>& v) {
  std::vector<int64_t> x;
  for (E e : v) x.push_back(int64_t(e));
  return list_str(x);
}

std::vector<int64_t> cross_attn_only(const std::vector<int64_t>& v, const std::vector<DownBlockType>& t) {
  std::vector<int64_t> out;
  for (size_t i = 0; i < v.size() && i < t.size(); ++i) out.push_back(t[i] == DownBlockType::kCrossAttnDown ? v[i] : 0);
  return out;
}

bool has_file(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::is_regular_file(p, ec);
}

}  // namespace

const char* family_name(SdFamily f) { return f == SdFamily::kSd1 ? "SD 1.x" : "SD 2.x"; }

Result<SingleFileHints> SingleFileHints::from_diffusers_folder(const std::string& folder) {
  namespace fs = std::filesystem;
  SingleFileHints h;
  const fs::path root(folder);
  if (has_file(root / "unet" / "config.json")) {
    auto c = UNet2DConfig::load((root / "unet" / "config.json").string());
    if (!c.is_ok()) return c.status();
    h.unet = *c;
  }
  if (has_file(root / "text_encoder" / "config.json")) {
    auto c = ClipTextConfig::load((root / "text_encoder" / "config.json").string());
    if (!c.is_ok()) return c.status();
    h.text = *c;
  }
  if (has_file(root / "vae" / "config.json")) {
    auto c = AutoencoderKLConfig::load((root / "vae" / "config.json").string());
    if (!c.is_ok()) return c.status();
    h.vae = *c;
  }
  if (!h.unet && !h.text && !h.vae)
    return not_found("no unet/, text_encoder/ or vae/ config.json in " + folder);
  return h;
}

Result<SingleFileConfig> detect_single_file(const SafetensorsFile& file, const SingleFileHints& hints) {
  const Keys k(file);
  PICTOR_RETURN_IF_ERROR(check_kind(k));
  SingleFileConfig out;
  const bool sd1 = k.any_prefix(ldm::kClipPrefix);
  out.family = sd1 ? SdFamily::kSd1 : SdFamily::kSd2;
  if (sd1) {
    out.text_model_infix = k.any_prefix(std::string(ldm::kClipPrefix) + "text_model.");
    out.text_position_ids = k.has(std::string(ldm::kClipPrefix) + (out.text_model_infix ? "text_model." : "") +
                                  "embeddings.position_ids");
  }
  auto unet = infer_unet(k, out.family);
  if (!unet.is_ok()) return unet.status();
  auto text = infer_text(k, out.family, out.text_model_infix, &out.text_layers_in_file);
  if (!text.is_ok()) return text.status();
  auto vae = infer_vae(k);
  if (!vae.is_ok()) return vae.status();

  std::vector<std::string> mismatch, needs;
  auto& as = out.assumed;
  // UNet
  if (hints.unet) {
    const UNet2DConfig& h = *hints.unet;
    const UNet2DConfig& f = *unet;
    compare<int64_t>(mismatch, "unet.in_channels", h.in_channels, f.in_channels, i64);
    compare<int64_t>(mismatch, "unet.out_channels", h.out_channels, f.out_channels, i64);
    compare<std::vector<int64_t>>(mismatch, "unet.block_out_channels", h.block_out_channels, f.block_out_channels, list_str);
    compare<std::vector<int64_t>>(mismatch, "unet.layers_per_block", h.layers_per_block, f.layers_per_block, list_str);
    compare<std::string>(mismatch, "unet.down_block_types", enums(h.down_blocks), enums(f.down_blocks),
                         [](const std::string& s) { return s; });
    compare<std::string>(mismatch, "unet.up_block_types", enums(h.up_blocks), enums(f.up_blocks),
                         [](const std::string& s) { return s; });
    compare<std::vector<int64_t>>(mismatch, "unet.cross_attention_dim", cross_attn_only(h.cross_attention_dim, h.down_blocks),
                                  cross_attn_only(f.cross_attention_dim, f.down_blocks), list_str);
    compare<std::vector<int64_t>>(mismatch, "unet.transformer_layers_per_block", cross_attn_only(h.transformer_layers, h.down_blocks),
                                  cross_attn_only(f.transformer_layers, f.down_blocks), list_str);
    compare<bool>(mismatch, "unet.use_linear_projection", h.use_linear_projection, f.use_linear_projection, boolean);
    compare<bool>(mismatch, "unet.mid_block", h.mid_block, f.mid_block, boolean);
    compare<int64_t>(mismatch, "unet.time_embedding_dim", h.time_embed_dim, f.time_embed_dim, i64);
    out.unet = h;
    as.push_back("unet: norm_num_groups, attention heads, flip_sin_to_cos, freq_shift, upcast_attention, "
                 "sample_size from the config hint");
  } else {
    out.unet = *unet;
    as.push_back("unet.norm_num_groups = 32, norm_eps = 1e-5 (LDM GroupNorm32)");
    as.push_back("unet.flip_sin_to_cos = true, freq_shift = 0, downsample_padding = 1 (LDM timestep embedding and convs)");
    as.push_back(out.family == SdFamily::kSd1 ? "unet attention heads = 8 per block (SD 1.x num_heads)"
                                              : "unet attention heads = channels / 64 (SD 2.x num_head_channels)");
    as.push_back("unet.upcast_attention = false, sample_size = 64 (not in the weights)");
    for (size_t i = 0; i < out.unet.block_out_channels.size(); ++i) {
      const int64_t ch = out.unet.block_out_channels[i];
      if (ch % 32 != 0) needs.push_back("unet.norm_num_groups (32 does not divide " + std::to_string(ch) + " channels)");
      if (out.unet.num_heads[i] == 0 || ch % out.unet.num_heads[i] != 0) {
        needs.push_back("unet attention heads (" + std::to_string(ch) + " channels in block " + std::to_string(i) + ")");
        out.unet.num_heads[i] = 1;
      }
    }
  }
  // Text encoder
  const int64_t drop_ok = out.family == SdFamily::kSd2 ? 1 : 0;
  if (hints.text) {
    const ClipTextConfig& h = *hints.text;
    const ClipTextConfig& f = *text;
    compare<int64_t>(mismatch, "text.hidden_size", h.hidden_size, f.hidden_size, i64);
    compare<int64_t>(mismatch, "text.intermediate_size", h.intermediate_size, f.intermediate_size, i64);
    compare<int64_t>(mismatch, "text.vocab_size", h.vocab_size, f.vocab_size, i64);
    compare<int64_t>(mismatch, "text.max_position_embeddings", h.max_positions, f.max_positions, i64);
    if (h.num_layers > out.text_layers_in_file || h.num_layers < out.text_layers_in_file - drop_ok)
      mismatch.push_back("text.num_hidden_layers " + std::to_string(h.num_layers) + " (checkpoint: " +
                         std::to_string(out.text_layers_in_file) + " layers" +
                         (drop_ok ? ", of which the last may be left out" : "") + ")");
    out.text = h;
    as.push_back("text: heads, activation, layer_norm_eps, token ids, num_hidden_layers (" +
                 std::to_string(h.num_layers) + " of " + std::to_string(out.text_layers_in_file) +
                 " in the file) from the config hint");
  } else {
    out.text = *text;
    as.push_back("text heads = hidden_size / 64 (CLIP ViT-L / OpenCLIP ViT-H head size)");
    as.push_back(out.family == SdFamily::kSd1 ? "text.hidden_act = quick_gelu (CLIP ViT-L)"
                                              : "text.hidden_act = gelu (OpenCLIP)");
    if (out.family == SdFamily::kSd2)
      as.push_back("text.num_hidden_layers = " + std::to_string(out.text.num_layers) + " of " +
                   std::to_string(out.text_layers_in_file) + " (LDM layer=\"penultimate\"; the last block is ignored)");
    as.push_back("text.layer_norm_eps = 1e-5, bos/eos/pad ids 0/2/1 (the SD text_encoder configs)");
    if (out.text.num_heads == 0) {
      needs.push_back("text attention heads (hidden size " + std::to_string(out.text.hidden_size) +
                      " is not a multiple of 64)");
      out.text.num_heads = 1;
    }
  }
  // VAE
  if (hints.vae) {
    const AutoencoderKLConfig& h = *hints.vae;
    const AutoencoderKLConfig& f = *vae;
    compare<std::vector<int64_t>>(mismatch, "vae.block_out_channels", h.block_out_channels, f.block_out_channels, list_str);
    compare<int64_t>(mismatch, "vae.layers_per_block", h.layers_per_block, f.layers_per_block, i64);
    compare<int64_t>(mismatch, "vae.latent_channels", h.latent_channels, f.latent_channels, i64);
    compare<int64_t>(mismatch, "vae.in_channels", h.in_channels, f.in_channels, i64);
    compare<int64_t>(mismatch, "vae.out_channels", h.out_channels, f.out_channels, i64);
    compare<bool>(mismatch, "vae.mid_block_add_attention", h.mid_block_add_attention, f.mid_block_add_attention, boolean);
    compare<bool>(mismatch, "vae.use_quant_conv", h.use_quant_conv, f.use_quant_conv, boolean);
    compare<bool>(mismatch, "vae.use_post_quant_conv", h.use_post_quant_conv, f.use_post_quant_conv, boolean);
    out.vae = h;
    as.push_back("vae: norm_num_groups, scaling_factor from the config hint");
  } else {
    out.vae = *vae;
    as.push_back("vae.norm_num_groups = 32 (LDM Normalize), scaling_factor = 0.18215 (SD 1.x / 2.x)");
    for (int64_t ch : out.vae.block_out_channels)
      if (ch % 32 != 0) {
        needs.push_back("vae.norm_num_groups (32 does not divide " + std::to_string(ch) + " channels)");
        break;
      }
  }
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) s += (i ? "; " : "") + v[i];
    return s;
  };
  if (!mismatch.empty())
    return invalid_argument("config hints do not match checkpoint " + file.path() + ": " + join(mismatch));
  if (!needs.empty()) {
    // Deduplicate while keeping order.
    std::vector<std::string> uniq;
    for (const auto& s : needs)
      if (std::find(uniq.begin(), uniq.end(), s) == uniq.end()) uniq.push_back(s);
    return invalid_argument("checkpoint " + file.path() + " (" + family_name(out.family) +
                            " layout with non-standard sizes): cannot infer " + join(uniq) +
                            " from the weights; pass config hints (SingleFileHints, e.g. "
                            "SingleFileHints::from_diffusers_folder of the same model)");
  }
  return out;
}

Status load_single_file_weights(const SafetensorsFile& file, const SingleFileConfig& config,
                                ClipTextModelImpl& text, UNet2DConditionModelImpl& unet,
                                AutoencoderKLImpl& vae) {
  torch::NoGradGuard no_grad;
  std::set<std::string> used, reported;
  std::vector<std::string> missing, misshaped, unmapped;
  using Map = std::function<std::optional<ldm::Source>(const std::string&)>;
  auto load = [&](torch::nn::Module& m, const Map& map) {
    auto one = [&](const std::string& name, at::Tensor& target) {
      auto src = map(name);
      if (!src) { unmapped.push_back(name); return; }
      const TensorInfo* info = file.find(src->key);
      if (!info) {
        if (reported.insert(src->key).second) missing.push_back(src->key);
        return;
      }
      used.insert(src->key);
      const std::vector<int64_t> want(target.sizes().begin(), target.sizes().end());
      std::vector<int64_t> expected = want;
      bool ok = info->shape == want;
      if (src->kind == ldm::Source::Kind::kChunk) {
        if (!expected.empty()) expected[0] *= src->chunks;
        ok = info->shape == expected;
      } else if (src->kind == ldm::Source::Kind::kSqueeze && !ok) {
        // [C, C, 1, 1] → [C, C]; [C, 1, 1] → [C]
        ok = info->shape.size() > want.size() && std::equal(want.begin(), want.end(), info->shape.begin()) &&
             std::all_of(info->shape.begin() + want.size(), info->shape.end(), [](int64_t d) { return d == 1; });
        if (want.size() == 2) expected.insert(expected.end(), {1, 1});
      }
      if (!ok) {
        if (reported.insert(src->key).second)
          misshaped.push_back(src->key + " (file " + list_str(info->shape) + ", expected " + list_str(expected) + ")");
        return;
      }
      at::Tensor t = tensor_from_info(*info);
      if (src->kind == ldm::Source::Kind::kChunk) t = t.chunk(src->chunks, 0)[src->chunk];
      target.copy_(t.reshape(target.sizes()).to(target.dtype()));
    };
    for (auto& p : m.named_parameters(true)) one(p.key(), p.value());
    for (auto& b : m.named_buffers(true)) one(b.key(), b.value());
  };

  const ldm::UNetKeyMap unet_map(config.unet);
  load(unet, [&](const std::string& n) { return unet_map(n); });
  const size_t vae_blocks = config.vae.block_out_channels.size();
  load(vae, [&](const std::string& n) { return ldm::vae_key(n, vae_blocks); });
  if (config.family == SdFamily::kSd1)
    load(text, [&](const std::string& n) { return ldm::clip_key(n, config.text_model_infix); });
  else
    load(text, [&](const std::string& n) { return ldm::open_clip_key(n); });
  if (!unmapped.empty())
    return internal_error("single-file loader: no LDM name for module parameter " + unmapped.front() +
                          " (and " + std::to_string(unmapped.size() - 1) + " more)");

  // Tensors under the three prefixes that no parameter took, except known extras.
  std::vector<std::string> ignored_prefixes;
  if (config.family == SdFamily::kSd2) {
    const std::string P = ldm::kOpenClipPrefix;
    ignored_prefixes = {P + "text_projection", P + "logit_scale"};
    for (int64_t b = config.text.num_layers; b < config.text_layers_in_file; ++b)
      ignored_prefixes.push_back(P + "transformer.resblocks." + std::to_string(b) + ".");
  }
  std::vector<std::string> unexpected;
  for (const auto& t : file.tensors()) {
    const std::string& n = t.name;
    const bool ours = n.rfind(ldm::kUNetPrefix, 0) == 0 || n.rfind(ldm::kVaePrefix, 0) == 0 ||
                      n.rfind("cond_stage_model.", 0) == 0;
    if (!ours || used.count(n)) continue;
    bool ignored = false;
    for (const auto& p : ignored_prefixes) ignored = ignored || n.rfind(p, 0) == 0;
    if (!ignored) unexpected.push_back(n);
  }
  if (missing.empty() && misshaped.empty() && unexpected.empty()) return Status::ok();
  return tensor_mismatch_error("checkpoint " + file.path() + " does not match the " +
                                   std::string(family_name(config.family)) + " model built from its shapes:",
                               missing, unexpected, misshaped);
}

Result<SingleFileModel> load_single_file(const std::string& path, const SingleFileOptions& options) {
  namespace fs = std::filesystem;
  auto file = SafetensorsFile::open(path);
  if (!file.is_ok()) return file.status();
  auto config = detect_single_file(**file, options.hints);
  if (!config.is_ok()) return config.status();

  SingleFileModel m;
  m.config = *config;
  if (options.require_tokenizer) {
    const fs::path folder = options.tokenizer_folder.empty() ? fs::path(path).parent_path() / "tokenizer"
                                                             : fs::path(options.tokenizer_folder);
    if (!has_file(folder / "vocab.json") || !has_file(folder / "merges.txt"))
      return not_found(std::string("single-file checkpoints carry no tokenizer: no vocab.json and merges.txt in ") +
                       folder.string() + "; pass a tokenizer folder (SingleFileOptions::tokenizer_folder), the "
                       "tokenizer/ folder of a diffusers " + family_name(m.config.family) + " model (" +
                       (m.config.family == SdFamily::kSd1 ? "openai/clip-vit-large-patch14, padding with <|endoftext|>"
                                                          : "stabilityai/stable-diffusion-2-1, padding with \"!\"") +
                       ")");
    m.tokenizer_folder = folder.string();
  }
  m.text_encoder = ClipTextModel(m.config.text, m.config.text_position_ids);
  m.unet = UNet2DConditionModel(m.config.unet);
  m.vae = AutoencoderKL(m.config.vae);
  PICTOR_RETURN_IF_ERROR(load_single_file_weights(**file, m.config, *m.text_encoder, *m.unet, *m.vae));
  m.text_encoder->eval();
  m.unet->eval();
  m.vae->eval();
  return m;
}

}  // namespace pictor::engine::sd
