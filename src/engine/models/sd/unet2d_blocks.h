#pragma once
// The blocks of diffusers' UNet2DConditionModel (v0.25), named like its state dict so the whole
// tree loads by key: ResnetBlock2D, Transformer2DModel (+ BasicTransformerBlock, Attention,
// GEGLU feed-forward), Downsample2D / Upsample2D, and the down / mid / up blocks. A block with
// cross-attention (CrossAttnDownBlock2D, CrossAttnUpBlock2D) is the same class as its plain
// counterpart with a non-empty "attentions" list.
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>

#include <optional>
#include <vector>

#include "engine/models/sd/sd_layers.h"

namespace pictor::engine::sd::unet {

// TimestepEmbedding: linear_1, SiLU, linear_2.
class TimestepEmbeddingImpl : public torch::nn::Module {
 public:
  TimestepEmbeddingImpl(int64_t in, int64_t dim);
  // t_features: [N, in] → [N, dim]
  at::Tensor forward(const at::Tensor& t_features);

 private:
  layers::Linear linear_1_{nullptr}, linear_2_{nullptr};
};
TORCH_MODULE(TimestepEmbedding);

class ResnetBlock2DImpl : public torch::nn::Module {
 public:
  ResnetBlock2DImpl(int64_t in, int64_t out, int64_t temb_channels, int64_t groups, double eps,
                    double output_scale_factor = 1.0);
  // x: [N, in, H, W], temb: [N, temb_channels] → [N, out, H, W]
  at::Tensor forward(const at::Tensor& x, const at::Tensor& temb);

 private:
  double output_scale_factor_;
  layers::GroupNorm norm1_{nullptr}, norm2_{nullptr};
  layers::Conv2d conv1_{nullptr}, conv2_{nullptr}, conv_shortcut_{nullptr};
  layers::Linear time_emb_proj_{nullptr};
};
TORCH_MODULE(ResnetBlock2D);

// diffusers Attention with the default processor: bias-free q/k/v, to_out.0 with bias.
class AttentionImpl : public torch::nn::Module {
 public:
  AttentionImpl(int64_t query_dim, int64_t context_dim, int64_t heads, int64_t head_dim);
  // x: [N, Lq, query_dim], context: [N, Lk, context_dim] (x itself for self-attention)
  // → [N, Lq, query_dim]
  at::Tensor forward(const at::Tensor& x, const at::Tensor& context);

 private:
  int64_t heads_;
  layers::Linear to_q_{nullptr}, to_k_{nullptr}, to_v_{nullptr};
  torch::nn::ModuleList to_out_;  // [Linear, Dropout (no parameters)]
};
TORCH_MODULE(Attention);

// FeedForward with GEGLU: net.0.proj (dim → 2 * inner), net.2 (inner → dim).
class FeedForwardImpl : public torch::nn::Module {
 public:
  FeedForwardImpl(int64_t dim, int64_t mult = 4);
  // x: [N, L, dim] → [N, L, dim]
  at::Tensor forward(const at::Tensor& x);

 private:
  torch::nn::ModuleList net_;
};
TORCH_MODULE(FeedForward);

class BasicTransformerBlockImpl : public torch::nn::Module {
 public:
  BasicTransformerBlockImpl(int64_t dim, int64_t heads, int64_t head_dim, int64_t context_dim);
  // x: [N, HW, dim], context: [N, Lk, context_dim] → [N, HW, dim]
  at::Tensor forward(at::Tensor x, const at::Tensor& context);

 private:
  layers::LayerNorm norm1_{nullptr}, norm2_{nullptr}, norm3_{nullptr};
  Attention attn1_{nullptr}, attn2_{nullptr};
  FeedForward ff_{nullptr};
};
TORCH_MODULE(BasicTransformerBlock);

// Transformer2DModel with continuous input: GroupNorm (eps 1e-6), proj_in (linear or 1x1 conv),
// BasicTransformerBlocks, proj_out, residual.
class Transformer2DModelImpl : public torch::nn::Module {
 public:
  Transformer2DModelImpl(int64_t heads, int64_t head_dim, int64_t channels, int64_t num_layers,
                         int64_t context_dim, int64_t groups, bool linear_projection);
  // x: [N, C, H, W], context: [N, Lk, context_dim] → [N, C, H, W]
  at::Tensor forward(const at::Tensor& x, const at::Tensor& context);

 private:
  bool linear_projection_;
  layers::GroupNorm norm_{nullptr};
  layers::Linear linear_in_{nullptr}, linear_out_{nullptr};  // "proj_in"/"proj_out", linear projection
  layers::Conv2d conv_in_{nullptr}, conv_out_{nullptr};      // "proj_in"/"proj_out", 1x1 conv projection
  torch::nn::ModuleList transformer_blocks_;
};
TORCH_MODULE(Transformer2DModel);

class Downsample2DImpl : public torch::nn::Module {
 public:
  Downsample2DImpl(int64_t channels, int64_t padding);
  // x: [N, C, H, W] → [N, C, ceil(H/2), ceil(W/2)] (padding 1)
  at::Tensor forward(const at::Tensor& x);

 private:
  int64_t padding_;
  layers::Conv2d conv_{nullptr};
};
TORCH_MODULE(Downsample2D);

class Upsample2DImpl : public torch::nn::Module {
 public:
  explicit Upsample2DImpl(int64_t channels);
  // x: [N, C, H, W] → [N, C, 2H, 2W], or [N, C, size[0], size[1]] when `size` is given
  at::Tensor forward(const at::Tensor& x, const std::optional<std::vector<int64_t>>& size);

 private:
  layers::Conv2d conv_{nullptr};
};
TORCH_MODULE(Upsample2D);

// Settings that every block of one UNet shares.
struct BlockSettings {
  int64_t temb_channels;
  int64_t groups;
  double eps;
  bool linear_projection;
};

// CrossAttnDownBlock2D (heads > 0) or DownBlock2D (heads == 0).
class DownBlockImpl : public torch::nn::Module {
 public:
  DownBlockImpl(int64_t in, int64_t out, int64_t num_layers, bool add_downsample, int64_t downsample_padding,
                int64_t heads, int64_t transformer_layers, int64_t context_dim, const BlockSettings& s);
  // x: [N, in, H, W], temb: [N, T], context: [N, Lk, Dc] → [N, out, H', W']; appends the output
  // of each resnet (+attention) and of the downsampler to `skips`.
  at::Tensor forward(at::Tensor x, const at::Tensor& temb, const at::Tensor& context,
                     std::vector<at::Tensor>& skips);

 private:
  torch::nn::ModuleList resnets_, attentions_, downsamplers_;
};
TORCH_MODULE(DownBlock);

// UNetMidBlock2DCrossAttn: resnet, (attention, resnet) x num_layers.
class MidBlockImpl : public torch::nn::Module {
 public:
  MidBlockImpl(int64_t channels, int64_t heads, int64_t transformer_layers, int64_t context_dim,
               double output_scale_factor, const BlockSettings& s);
  // x: [N, C, H, W], temb: [N, T], context: [N, Lk, Dc] → [N, C, H, W]
  at::Tensor forward(at::Tensor x, const at::Tensor& temb, const at::Tensor& context);

 private:
  torch::nn::ModuleList resnets_, attentions_;
};
TORCH_MODULE(MidBlock);

// CrossAttnUpBlock2D (heads > 0) or UpBlock2D (heads == 0).
class UpBlockImpl : public torch::nn::Module {
 public:
  UpBlockImpl(int64_t in, int64_t out, int64_t prev_out, int64_t num_layers, bool add_upsample,
              int64_t heads, int64_t transformer_layers, int64_t context_dim, const BlockSettings& s);
  int64_t num_resnets() const { return int64_t(resnets_->size()); }
  // x: [N, prev_out, H, W] → [N, out, H', W']; pops one skip tensor per resnet from the back of
  // `skips`. upsample_size: the upsampler's output size (diffusers passes it when the input size
  // is not a multiple of the UNet's total downsampling factor), else 2x.
  at::Tensor forward(at::Tensor x, const at::Tensor& temb, const at::Tensor& context,
                     std::vector<at::Tensor>& skips,
                     const std::optional<std::vector<int64_t>>& upsample_size);

 private:
  torch::nn::ModuleList resnets_, attentions_, upsamplers_;
};
TORCH_MODULE(UpBlock);

}  // namespace pictor::engine::sd::unet
