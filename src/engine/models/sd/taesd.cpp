#include "engine/ops.h"
#include "engine/models/sd/taesd.h"

#include <torch/torch.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "engine/models/sd/mixed_conv.h"
#include "engine/module_io.h"
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

Result<AutoencoderTinyConfig> AutoencoderTinyConfig::from_json(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return corrupt_data("AutoencoderTiny config is not a JSON object");
  AutoencoderTinyConfig c;
  try {
    auto get = [&](const char* key, auto& out) {
      if (j.contains(key) && !j[key].is_null()) out = j[key].get<std::decay_t<decltype(out)>>();
    };
    get("in_channels", c.in_channels);
    get("out_channels", c.out_channels);
    get("latent_channels", c.latent_channels);
    get("encoder_block_out_channels", c.encoder_block_out_channels);
    get("decoder_block_out_channels", c.decoder_block_out_channels);
    get("num_encoder_blocks", c.num_encoder_blocks);
    get("num_decoder_blocks", c.num_decoder_blocks);
    get("upsampling_scaling_factor", c.upsampling_scaling_factor);
    get("latent_magnitude", c.latent_magnitude);
    get("latent_shift", c.latent_shift);
    get("scaling_factor", c.scaling_factor);
    std::string act = "relu";
    get("act_fn", act);
    if (act != "relu") return unsupported("AutoencoderTiny config: act_fn \"" + act + "\" (only relu)");
  } catch (const nlohmann::json::exception& e) {
    return corrupt_data(std::string("AutoencoderTiny config: ") + e.what());
  }
  if (c.encoder_block_out_channels.empty() ||
      c.encoder_block_out_channels.size() != c.num_encoder_blocks.size() ||
      c.decoder_block_out_channels.empty() ||
      c.decoder_block_out_channels.size() != c.num_decoder_blocks.size())
    return corrupt_data("AutoencoderTiny config: *_block_out_channels and num_*_blocks differ in length");
  // diffusers builds stage i's resampling conv as ch[i] → ch[i], so neighbours must be equal.
  for (const auto* v : {&c.encoder_block_out_channels, &c.decoder_block_out_channels})
    for (size_t i = 1; i < v->size(); ++i)
      if ((*v)[i] != (*v)[0])
        return unsupported("AutoencoderTiny config: block_out_channels must all be equal");
  if (c.upsampling_scaling_factor < 1 || c.scaling_factor <= 0 || c.latent_magnitude <= 0)
    return corrupt_data("AutoencoderTiny config has non-positive factors");
  return c;
}

Result<AutoencoderTinyConfig> AutoencoderTinyConfig::load(const std::string& path) {
  auto text = read_config_text(path);
  if (!text.is_ok()) return text.status();
  auto c = from_json(*text);
  if (!c.is_ok()) return Status(c.status().code(), path + ": " + c.status().message());
  return c;
}

// ---------------------------------------------------------------------------------------------
// Layers

namespace {

// AutoencoderTinyBlock: relu(conv3(relu(conv3(relu(conv3(x))))) + skip(x)); the convs are
// "conv.0", "conv.2", "conv.4" (ReLUs at 1 and 3), skip is a bias-free 1×1 conv when the
// channel count changes.
class TinyBlockImpl : public nn::Module {
 public:
  TinyBlockImpl(int64_t in, int64_t out) {
    auto conv = register_module("conv", nn::ModuleList());
    c0_ = MixedConv2d(in, out, 3, 1, 1);
    c2_ = MixedConv2d(out, out, 3, 1, 1);
    c4_ = MixedConv2d(out, out, 3, 1, 1);
    conv->push_back(c0_);
    conv->push_back(nn::Functional(torch::relu));
    conv->push_back(c2_);
    conv->push_back(nn::Functional(torch::relu));
    conv->push_back(c4_);
    if (in != out) skip_ = register_module("skip", MixedConv2d(in, out, 1, 1, 0, /*bias=*/false));
  }
  // x: [N, in, H, W] → [N, out, H, W]
  at::Tensor forward(const at::Tensor& x) {
    auto h = c4_(torch::relu(c2_(torch::relu(c0_(x)))));
    return torch::relu(h + (skip_ ? skip_(x) : x));
  }

 private:
  MixedConv2d c0_{nullptr}, c2_{nullptr}, c4_{nullptr}, skip_{nullptr};
};
TORCH_MODULE(TinyBlock);

}  // namespace

// EncoderTiny / DecoderTiny: one flat list "layers" of convs, blocks, ReLUs and upsamplers,
// indexed as in diffusers. Each entry is one step of forward().
class TinyStackImpl : public nn::Module {
 public:
  // EncoderTiny: conv(in → c), blocks; per later stage: stride-2 conv (no bias), blocks; conv → L.
  static std::shared_ptr<TinyStackImpl> encoder(const AutoencoderTinyConfig& c) {
    auto s = std::make_shared<TinyStackImpl>();
    const auto& ch = c.encoder_block_out_channels;
    for (size_t i = 0; i < ch.size(); ++i) {
      if (i == 0) s->add_conv(MixedConv2d(c.in_channels, ch[0], 3, 1, 1));
      else s->add_conv(MixedConv2d(ch[i], ch[i], 3, 2, 1, /*bias=*/false));
      for (int64_t b = 0; b < c.num_encoder_blocks[i]; ++b) s->add_block(ch[i], ch[i]);
    }
    s->add_conv(MixedConv2d(ch.back(), c.latent_channels, 3, 1, 1));
    return s;
  }
  // DecoderTiny: conv(L → c0), ReLU; per stage: blocks, then (not last) upsample + conv without
  // bias, (last) conv → 3 with bias.
  static std::shared_ptr<TinyStackImpl> decoder(const AutoencoderTinyConfig& c) {
    auto s = std::make_shared<TinyStackImpl>();
    const auto& ch = c.decoder_block_out_channels;
    s->add_conv(MixedConv2d(c.latent_channels, ch[0], 3, 1, 1));
    s->add_relu();
    for (size_t i = 0; i < ch.size(); ++i) {
      const bool last = i + 1 == ch.size();
      for (int64_t b = 0; b < c.num_decoder_blocks[i]; ++b) s->add_block(ch[i], ch[i]);
      if (!last) s->add_upsample(c.upsampling_scaling_factor);
      s->add_conv(MixedConv2d(ch[i], last ? c.out_channels : ch[i], 3, 1, 1, /*bias=*/last));
    }
    return s;
  }

  TinyStackImpl() { layers_ = register_module("layers", nn::ModuleList()); }

  // x: [N, C, H, W] → [N, C', H', W']
  at::Tensor forward(at::Tensor x) {
    for (auto& step : steps_) x = step(x);
    return x;
  }

 private:
  void add_conv(MixedConv2d conv) {
    layers_->push_back(conv);
    steps_.push_back([conv](const at::Tensor& x) mutable { return conv(x); });
  }
  void add_block(int64_t in, int64_t out) {
    TinyBlock b(in, out);
    layers_->push_back(b);
    steps_.push_back([b](const at::Tensor& x) mutable { return b(x); });
  }
  void add_relu() {
    layers_->push_back(nn::Functional(torch::relu));
    steps_.push_back([](const at::Tensor& x) { return torch::relu(x); });
  }
  void add_upsample(int64_t factor) {
    const double f = double(factor);
    layers_->push_back(nn::Upsample(nn::UpsampleOptions()
                                        .scale_factor(std::vector<double>{f, f})
                                        .mode(torch::kNearest)));
    steps_.push_back([f](const at::Tensor& x) {
      namespace F = torch::nn::functional;
      if (f == 2.0) return upsample_nearest2x(x);
      return F::interpolate(x, F::InterpolateFuncOptions()
                                   .scale_factor(std::vector<double>{f, f})
                                   .mode(torch::kNearest));
    });
  }

  nn::ModuleList layers_{nullptr};
  std::vector<std::function<at::Tensor(const at::Tensor&)>> steps_;
};

// ---------------------------------------------------------------------------------------------
// AutoencoderTiny

AutoencoderTinyImpl::AutoencoderTinyImpl(const AutoencoderTinyConfig& c) : config_(c) {
  encoder_ = register_module("encoder", TinyStackImpl::encoder(c));
  decoder_ = register_module("decoder", TinyStackImpl::decoder(c));
  // TAESD has only convolutions and element-wise ops: activations stay channels-last between
  // packed convolutions (no layout change per layer) and are made contiguous once at the end.
  set_channels_last_convs(*this, true);
}

at::Tensor AutoencoderTinyImpl::encode(const at::Tensor& image) {
  return encoder_->forward(image.add(1).div(2)).contiguous();  // TAESD's own input range is [0, 1]
}

at::Tensor AutoencoderTinyImpl::decode_unscaled(const at::Tensor& latents) {
  auto x = torch::tanh(latents / 3) * 3;  // soft clamp of the latents to (-3, 3)
  if (bf16_ && !torch::GradMode::is_enabled())
    return decoder_->forward(x.to(torch::kBFloat16)).to(torch::kFloat).mul(2).sub(1).contiguous();
  return decoder_->forward(x).mul(2).sub(1).contiguous();  // [0, 1] → [-1, 1]
}

at::Tensor AutoencoderTinyImpl::decode(const at::Tensor& latents) {
  return decode_unscaled(latents / config_.scaling_factor);
}

at::Tensor AutoencoderTinyImpl::scale_latents(const at::Tensor& latents) const {
  return latents.div(2 * config_.latent_magnitude).add(config_.latent_shift).clamp(0, 1);
}

at::Tensor AutoencoderTinyImpl::unscale_latents(const at::Tensor& x) const {
  return x.sub(config_.latent_shift).mul(2 * config_.latent_magnitude);
}

void AutoencoderTinyImpl::set_bf16(bool on) {
  set_bf16_convs(*this, on);
  bf16_ = on;
}

Result<AutoencoderTiny> load_autoencoder_tiny(const std::string& folder) {
  auto config = AutoencoderTinyConfig::load(folder + "/config.json");
  if (!config.is_ok()) return config.status();
  auto file = weights::SafetensorsFile::open(folder + "/diffusion_pytorch_model.safetensors");
  if (!file.is_ok()) return file.status();
  AutoencoderTiny taesd(*config);
  PICTOR_RETURN_IF_ERROR(load_module_strict(*taesd, **file));
  taesd->eval();
  return taesd;
}

}  // namespace pictor::engine::sd
