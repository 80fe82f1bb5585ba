#include "engine/models/sd/autoencoder_kl.h"

#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "engine/blocked_attention.h"
#include "engine/group_norm_nhwc.h"
#include "engine/module_io.h"
#include "engine/ops.h"
#include "engine/weights/safetensors.h"

namespace pictor::engine::sd {

namespace nn = torch::nn;

// ---------------------------------------------------------------------------------------------
// Config

namespace {

Result<std::string> read_config_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!std::filesystem::exists(path)) return not_found("no such file: " + path);
    return io_error("cannot read " + path);
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

Result<AutoencoderKLConfig> AutoencoderKLConfig::from_json(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return corrupt_data("AutoencoderKL config is not a JSON object");
  AutoencoderKLConfig c;
  try {
    auto get = [&](const char* key, auto& out) {
      if (j.contains(key) && !j[key].is_null()) out = j[key].get<std::decay_t<decltype(out)>>();
    };
    get("in_channels", c.in_channels);
    get("out_channels", c.out_channels);
    get("latent_channels", c.latent_channels);
    get("block_out_channels", c.block_out_channels);
    get("layers_per_block", c.layers_per_block);
    get("norm_num_groups", c.norm_num_groups);
    get("scaling_factor", c.scaling_factor);
    get("force_upcast", c.force_upcast);
    get("mid_block_add_attention", c.mid_block_add_attention);
    get("use_quant_conv", c.use_quant_conv);
    get("use_post_quant_conv", c.use_post_quant_conv);
    std::string act = "silu";
    get("act_fn", act);
    if (act != "silu") return unsupported("AutoencoderKL config: act_fn \"" + act + "\" (only silu)");
    std::vector<std::string> down, up;
    get("down_block_types", down);
    get("up_block_types", up);
    if (down.empty()) down.assign(c.block_out_channels.size(), "DownEncoderBlock2D");
    if (up.empty()) up.assign(c.block_out_channels.size(), "UpDecoderBlock2D");
    for (const auto& t : down)
      if (t != "DownEncoderBlock2D")
        return unsupported("AutoencoderKL config: down_block_types entry \"" + t + "\"");
    for (const auto& t : up)
      if (t != "UpDecoderBlock2D")
        return unsupported("AutoencoderKL config: up_block_types entry \"" + t + "\"");
    if (down.size() != c.block_out_channels.size() || up.size() != c.block_out_channels.size())
      return corrupt_data("AutoencoderKL config: block_out_channels, down_block_types and "
                          "up_block_types differ in length");
    if (j.contains("norm_type") && j["norm_type"].is_string() && j["norm_type"] != "group")
      return unsupported("AutoencoderKL config: norm_type \"" + j["norm_type"].get<std::string>() + "\"");
    if (j.contains("shift_factor") && j["shift_factor"].is_number() && j["shift_factor"] != 0)
      return unsupported("AutoencoderKL config: shift_factor (not an SD 1.x/2.x VAE)");
  } catch (const nlohmann::json::exception& e) {
    return corrupt_data(std::string("AutoencoderKL config: ") + e.what());
  }
  if (c.block_out_channels.empty() || c.layers_per_block < 1 || c.norm_num_groups < 1 ||
      c.latent_channels < 1 || c.in_channels < 1 || c.out_channels < 1 || c.scaling_factor <= 0)
    return corrupt_data("AutoencoderKL config has empty or non-positive sizes");
  for (int64_t ch : c.block_out_channels)
    if (ch < 1 || ch % c.norm_num_groups != 0)
      return corrupt_data("AutoencoderKL config: block_out_channels " + std::to_string(ch) +
                          " is not a multiple of norm_num_groups " + std::to_string(c.norm_num_groups));
  return c;
}

Result<AutoencoderKLConfig> AutoencoderKLConfig::load(const std::string& path) {
  auto text = read_config_text(path);
  if (!text.is_ok()) return text.status();
  auto c = from_json(*text);
  if (!c.is_ok()) return Status(c.status().code(), path + ": " + c.status().message());
  return c;
}

at::Tensor LatentDistribution::sample(const at::Tensor& noise) const { return mean + std * noise; }

// ---------------------------------------------------------------------------------------------
// Blocks (diffusers names: ResnetBlock2D, Attention, Downsample2D, Upsample2D, UNetMidBlock2D)

namespace {

constexpr double kEps = 1e-6;  // every VAE norm

nn::GroupNorm group_norm(int64_t groups, int64_t ch) {
  return nn::GroupNorm(nn::GroupNormOptions(groups, ch).eps(kEps));
}

// Group norm (+ SiLU) for the decoder's channels-last activations (packed convolutions return
// them): engine/group_norm_nhwc keeps the layout and is thread-count independent. Other inputs
// (training, bf16 convs, other devices) take torch's group norm.
at::Tensor norm(nn::GroupNorm& gn, const at::Tensor& x, bool silu) {
  if (group_norm_nhwc_applies(x))
    return group_norm_nhwc(x, gn->options.num_groups(), gn->weight, gn->bias, gn->options.eps(), silu);
  auto y = gn(x.contiguous());
  return silu ? torch::silu(y) : y;
}

// ResnetBlock2D without a time embedding: GN → SiLU → conv → GN → SiLU → conv, plus a 1×1
// shortcut when the channel count changes.
class ResnetBlockImpl : public nn::Module {
 public:
  ResnetBlockImpl(int64_t in, int64_t out, int64_t groups) {
    norm1_ = register_module("norm1", group_norm(groups, in));
    conv1_ = register_module("conv1", MixedConv2d(in, out, 3, 1, 1));
    norm2_ = register_module("norm2", group_norm(groups, out));
    conv2_ = register_module("conv2", MixedConv2d(out, out, 3, 1, 1));
    if (in != out) shortcut_ = register_module("conv_shortcut", MixedConv2d(in, out, 1));
  }
  // x: [N, in, H, W] → [N, out, H, W]
  at::Tensor forward(const at::Tensor& x) {
    auto h = conv1_(norm(norm1_, x, true));
    h = conv2_(norm(norm2_, h, true));
    return (shortcut_ ? shortcut_(x) : x) + h;
  }

 private:
  nn::GroupNorm norm1_{nullptr}, norm2_{nullptr};
  MixedConv2d conv1_{nullptr}, conv2_{nullptr}, shortcut_{nullptr};
};
TORCH_MODULE(ResnetBlock);

// Single-head spatial self-attention with a group norm in front and a residual connection
// (diffusers Attention built from the deprecated VAE attention block: heads = 1, head dim = C).
// Runs in fp32 even on bf16 activations (softmax is upcast in diffusers as well).
// legacy_names: the pre-0.14 diffusers keys query/key/value/proj_attn (diffusers renames them on
// load; here the module registers them as they are).
class SpatialAttentionImpl : public nn::Module {
 public:
  SpatialAttentionImpl(int64_t ch, int64_t groups, bool legacy_names) {
    group_norm_ = register_module("group_norm", group_norm(groups, ch));
    to_q_ = register_module(legacy_names ? "query" : "to_q", nn::Linear(ch, ch));
    to_k_ = register_module(legacy_names ? "key" : "to_k", nn::Linear(ch, ch));
    to_v_ = register_module(legacy_names ? "value" : "to_v", nn::Linear(ch, ch));
    out_ = nn::Linear(ch, ch);
    if (legacy_names) {
      register_module("proj_attn", out_);
    } else {
      to_out_ = register_module("to_out", nn::ModuleList());
      to_out_->push_back(out_);
    }
  }
  // x: [N, C, H, W] → [N, C, H, W]
  at::Tensor forward(const at::Tensor& x) {
    const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
    // [N, HW, C]: free for channels-last activations (a copy for NCHW ones); fp32 (bf16
    // decoders too: the projections' weights are fp32).
    auto t = norm(group_norm_, x, false).permute({0, 2, 3, 1}).reshape({n, h * w, c}).to(torch::kFloat);
    // Projections in fixed row blocks: the same result for any thread count.
    auto proj = [&](nn::Linear& l, const at::Tensor& y) {
      return linear_in_row_blocks(y, l->weight, l->bias);
    };
    auto head = [](const at::Tensor& y) { return y.unsqueeze(1); };  // [N, 1, HW, C]
    auto o = blocked_attention(head(proj(to_q_, t)), head(proj(to_k_, t)), head(proj(to_v_, t))).squeeze(1);
    o = proj(out_, o);  // [N, HW, C]
    return o.view({n, h, w, c}).permute({0, 3, 1, 2}).to(x.scalar_type()) + x;  // channels-last
  }

 private:
  nn::GroupNorm group_norm_{nullptr};
  nn::Linear to_q_{nullptr}, to_k_{nullptr}, to_v_{nullptr}, out_{nullptr};
  nn::ModuleList to_out_{nullptr};
};
TORCH_MODULE(SpatialAttention);

// Downsample2D with padding 0: pad right/bottom by one, then a stride-2 3×3 conv.
class DownsampleImpl : public nn::Module {
 public:
  explicit DownsampleImpl(int64_t ch) { conv_ = register_module("conv", MixedConv2d(ch, ch, 3, 2, 0)); }
  // x: [N, C, H, W] → [N, C, H/2, W/2]
  at::Tensor forward(const at::Tensor& x) { return conv_(torch::constant_pad_nd(x, {0, 1, 0, 1}, 0)); }

 private:
  MixedConv2d conv_{nullptr};
};
TORCH_MODULE(Downsample);

// Upsample2D: nearest ×2, then a 3×3 conv.
class UpsampleImpl : public nn::Module {
 public:
  explicit UpsampleImpl(int64_t ch) { conv_ = register_module("conv", MixedConv2d(ch, ch, 3, 1, 1)); }
  // x: [N, C, H, W] → [N, C, 2H, 2W]
  at::Tensor forward(const at::Tensor& x) { return conv_(upsample_nearest2x(x)); }

 private:
  MixedConv2d conv_{nullptr};
};
TORCH_MODULE(Upsample);

// DownEncoderBlock2D / UpDecoderBlock2D: `layers` resnets, then an optional resampler.
class ResBlockStackImpl : public nn::Module {
 public:
  ResBlockStackImpl(int64_t in, int64_t out, int64_t layers, int64_t groups, int resample) {
    auto list = register_module("resnets", nn::ModuleList());
    for (int64_t i = 0; i < layers; ++i) {
      resnets_.push_back(ResnetBlock(i == 0 ? in : out, out, groups));
      list->push_back(resnets_.back());
    }
    if (resample < 0) {
      down_ = Downsample(out);
      register_module("downsamplers", nn::ModuleList())->push_back(down_);
    } else if (resample > 0) {
      up_ = Upsample(out);
      register_module("upsamplers", nn::ModuleList())->push_back(up_);
    }
  }
  // x: [N, in, H, W] → [N, out, H', W'] (H' = H/2, H or 2H)
  at::Tensor forward(at::Tensor x) {
    for (auto& r : resnets_) x = r(x);
    if (down_) x = down_(x);
    if (up_) x = up_(x);
    return x;
  }

 private:
  std::vector<ResnetBlock> resnets_;
  Downsample down_{nullptr};
  Upsample up_{nullptr};
};
TORCH_MODULE(ResBlockStack);

// UNetMidBlock2D without a time embedding: resnet, (attention, resnet).
class MidBlockImpl : public nn::Module {
 public:
  MidBlockImpl(int64_t ch, int64_t groups, bool attention, bool legacy_names) {
    auto resnets = register_module("resnets", nn::ModuleList());
    r0_ = ResnetBlock(ch, ch, groups);
    r1_ = ResnetBlock(ch, ch, groups);
    resnets->push_back(r0_);
    resnets->push_back(r1_);
    if (attention) {
      attn_ = SpatialAttention(ch, groups, legacy_names);
      register_module("attentions", nn::ModuleList())->push_back(attn_);
    }
  }
  // x: [N, C, H, W] → [N, C, H, W]
  at::Tensor forward(const at::Tensor& x) {
    auto h = r0_(x);
    if (attn_) h = attn_(h);
    return r1_(h);
  }

 private:
  ResnetBlock r0_{nullptr}, r1_{nullptr};
  SpatialAttention attn_{nullptr};
};
TORCH_MODULE(MidBlock);

}  // namespace

// ---------------------------------------------------------------------------------------------
// Encoder / decoder

class VaeEncoderImpl : public nn::Module {
 public:
  explicit VaeEncoderImpl(const AutoencoderKLConfig& c) {
    const auto& ch = c.block_out_channels;
    const int64_t g = c.norm_num_groups;
    conv_in_ = register_module("conv_in", MixedConv2d(c.in_channels, ch[0], 3, 1, 1));
    auto list = register_module("down_blocks", nn::ModuleList());
    for (size_t i = 0; i < ch.size(); ++i) {
      const bool last = i + 1 == ch.size();
      blocks_.push_back(ResBlockStack(i == 0 ? ch[0] : ch[i - 1], ch[i], c.layers_per_block, g,
                                      last ? 0 : -1));
      list->push_back(blocks_.back());
    }
    mid_ = register_module("mid_block", MidBlock(ch.back(), g, c.mid_block_add_attention,
                                                      c.legacy_attention_names));
    norm_out_ = register_module("conv_norm_out", group_norm(g, ch.back()));
    conv_out_ = register_module("conv_out", MixedConv2d(ch.back(), 2 * c.latent_channels, 3, 1, 1));
  }
  // x: [N, 3, H, W] → moments before quant_conv [N, 2L, H/f, W/f]
  at::Tensor forward(const at::Tensor& x) {
    auto h = conv_in_(x);
    for (auto& b : blocks_) h = b(h);
    h = mid_(h);
    return conv_out_(norm(norm_out_, h, true));
  }

 private:
  MixedConv2d conv_in_{nullptr}, conv_out_{nullptr};
  std::vector<ResBlockStack> blocks_;
  MidBlock mid_{nullptr};
  nn::GroupNorm norm_out_{nullptr};
};

class VaeDecoderImpl : public nn::Module {
 public:
  explicit VaeDecoderImpl(const AutoencoderKLConfig& c) {
    std::vector<int64_t> ch(c.block_out_channels.rbegin(), c.block_out_channels.rend());
    const int64_t g = c.norm_num_groups;
    conv_in_ = register_module("conv_in", MixedConv2d(c.latent_channels, ch[0], 3, 1, 1));
    mid_ = register_module("mid_block", MidBlock(ch[0], g, c.mid_block_add_attention,
                                                      c.legacy_attention_names));
    auto list = register_module("up_blocks", nn::ModuleList());
    for (size_t i = 0; i < ch.size(); ++i) {
      const bool last = i + 1 == ch.size();
      blocks_.push_back(ResBlockStack(i == 0 ? ch[0] : ch[i - 1], ch[i], c.layers_per_block + 1, g,
                                      last ? 0 : 1));
      list->push_back(blocks_.back());
    }
    norm_out_ = register_module("conv_norm_out", group_norm(g, ch.back()));
    conv_out_ = register_module("conv_out", MixedConv2d(ch.back(), c.out_channels, 3, 1, 1));
  }
  // z: [N, L, h, w] (after post_quant_conv) → [N, 3, f*h, f*w]
  at::Tensor forward(const at::Tensor& z) {
    auto h = mid_(conv_in_(z));
    for (auto& b : blocks_) h = b(h);
    return conv_out_(norm(norm_out_, h, true));
  }

 private:
  MixedConv2d conv_in_{nullptr}, conv_out_{nullptr};
  MidBlock mid_{nullptr};
  std::vector<ResBlockStack> blocks_;
  nn::GroupNorm norm_out_{nullptr};
};

// ---------------------------------------------------------------------------------------------
// AutoencoderKL

AutoencoderKLImpl::AutoencoderKLImpl(const AutoencoderKLConfig& c) : config_(c) {
  encoder_ = register_module("encoder", std::make_shared<VaeEncoderImpl>(c));
  decoder_ = register_module("decoder", std::make_shared<VaeDecoderImpl>(c));
  const int64_t l = c.latent_channels;
  if (c.use_quant_conv) quant_conv_ = register_module("quant_conv", MixedConv2d(2 * l, 2 * l, 1));
  if (c.use_post_quant_conv)
    post_quant_conv_ = register_module("post_quant_conv", MixedConv2d(l, l, 1));
  // fp32 activations stay channels-last from convolution to convolution (group norms included,
  // see norm()); encode and decode return contiguous tensors.
  set_channels_last_convs(*this, true);
}

LatentDistribution AutoencoderKLImpl::encode(const at::Tensor& image) {
  auto moments = encoder_->forward(image);
  if (quant_conv_) moments = quant_conv_(moments);
  moments = moments.contiguous();
  auto parts = moments.chunk(2, 1);
  LatentDistribution d;
  d.mean = parts[0];
  d.logvar = torch::clamp(parts[1], -30.0, 20.0);
  d.std = torch::exp(0.5 * d.logvar);
  return d;
}

at::Tensor AutoencoderKLImpl::encode_latents(const at::Tensor& image, const at::Tensor& noise) {
  auto d = encode(image);
  return (noise.defined() ? d.sample(noise) : d.mean) * config_.scaling_factor;
}

at::Tensor AutoencoderKLImpl::decode_unscaled(const at::Tensor& z) {
  const auto in = post_quant_conv_ ? post_quant_conv_(z) : z;
  if (bf16_ && !torch::GradMode::is_enabled())
    return decoder_->forward(in.to(torch::kBFloat16)).to(torch::kFloat).contiguous();
  return decoder_->forward(in).contiguous();
}

at::Tensor AutoencoderKLImpl::decode(const at::Tensor& latents) {
  return decode_unscaled(latents / config_.scaling_factor);
}

void AutoencoderKLImpl::set_bf16(bool on) {
  set_bf16_convs(*this, on);
  bf16_ = on;
}

Result<AutoencoderKL> load_autoencoder_kl(const std::string& folder) {
  auto config = AutoencoderKLConfig::load(folder + "/config.json");
  if (!config.is_ok()) return config.status();
  auto file = weights::SafetensorsFile::open(folder + "/diffusion_pytorch_model.safetensors");
  if (!file.is_ok()) return file.status();
  // Detected from the weights: checkpoints saved before diffusers 0.14 name the attention
  // projections query/key/value/proj_attn.
  config->legacy_attention_names =
      (*file)->find("encoder.mid_block.attentions.0.query.weight") != nullptr ||
      (*file)->find("decoder.mid_block.attentions.0.query.weight") != nullptr;
  AutoencoderKL vae(*config);
  PICTOR_RETURN_IF_ERROR(load_module_strict(*vae, **file));
  vae->eval();
  return vae;
}

at::Tensor vae_output_to_unit_range(const at::Tensor& x) { return (x / 2 + 0.5).clamp(0, 1); }

}  // namespace pictor::engine::sd
