#pragma once
// diffusers' UNet2DConditionModel (v0.25) for Stable Diffusion 1.x / 2.x / Turbo: time embedding,
// conv_in, down blocks, mid block, up blocks with skip connections, GroupNorm + SiLU + conv_out.
// The module tree is named like the state dict ("down_blocks.0.attentions.0.proj_in.weight"), so
// load_module_strict loads unet/diffusion_pytorch_model.safetensors by name. Blocks:
// engine/models/sd/unet2d_blocks.h; config: engine/models/sd/sd_config.h.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>

#include <string>

#include "core/status.h"
#include "engine/models/sd/sd_config.h"
#include "engine/models/sd/sd_layers.h"
#include "engine/models/sd/unet2d_blocks.h"

namespace pictor::engine::sd {

class UNet2DConditionModelImpl : public torch::nn::Module {
 public:
  explicit UNet2DConditionModelImpl(const UNet2DConfig& config);
  // sample: [N, in_channels, H, W]; timesteps: [N] or a scalar [] (int or float, in 0..999);
  // context (encoder_hidden_states): [N, L, cross_attention_dim]
  // → [N, out_channels, H, W] (the model's prediction, e.g. noise). Inputs are cast to the
  // weights' dtype; the output has that dtype.
  at::Tensor forward(const at::Tensor& sample, const at::Tensor& timesteps, const at::Tensor& context);
  const UNet2DConfig& config() const { return config_; }
  // Casts the weights to `dtype` (kFloat or kBFloat16); GroupNorm/LayerNorm stay fp32.
  void set_dtype(c10::ScalarType dtype);
  c10::ScalarType dtype() const { return conv_in_->weight.scalar_type(); }

 private:
  UNet2DConfig config_;
  layers::Conv2d conv_in_{nullptr}, conv_out_{nullptr};
  unet::TimestepEmbedding time_embedding_{nullptr};
  torch::nn::ModuleList down_blocks_, up_blocks_;
  unet::MidBlock mid_block_{nullptr};
  layers::GroupNorm conv_norm_out_{nullptr};
};
TORCH_MODULE(UNet2DConditionModel);

// Loads a diffusers unet folder: config.json + diffusion_pytorch_model.safetensors (or
// diffusion_pytorch_model.fp16.safetensors), strictly by name.
Result<UNet2DConditionModel> load_unet2d(const std::string& folder);

}  // namespace pictor::engine::sd
