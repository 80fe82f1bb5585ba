#pragma once
// Building blocks shared by the SD text encoder and UNet. Parameter names match torch.nn
// ("weight", "bias"), so module trees load by the checkpoint's own keys.
//  - Linear / Conv2d: at inference (grad mode off) linear layers run as fixed row-block GEMMs
//    (engine/ops.h linear_in_row_blocks): same result for any thread count. fp32 convolutions
//    run through oneDNN with packed weights (engine/onednn_conv.h); bf16 1x1 convolutions as row
//    blocks, other bf16 convolutions through torch.
//  - LayerNorm / GroupNorm: always computed in fp32, whatever the activation dtype, and keep fp32
//    parameters under cast_module() (the bf16 path).
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "engine/onednn_conv.h"

namespace pictor::engine::sd::layers {

class LinearImpl : public torch::nn::Module {
 public:
  LinearImpl(int64_t in, int64_t out, bool bias = true);
  // x: [..., in] → [..., out]
  at::Tensor forward(const at::Tensor& x);
  at::Tensor weight, bias;  // [out, in], [out] or undefined
};
TORCH_MODULE(Linear);

class Conv2dImpl : public torch::nn::Module {
 public:
  Conv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t padding = 0);
  // x: [N, in, H, W] → [N, out, H', W'], in channels-last memory at fp32/bf16 inference (the
  // UNet keeps that layout from layer to layer), otherwise as torch's conv2d returns it.
  at::Tensor forward(const at::Tensor& x);
  at::Tensor weight, bias;  // [out, in, k, k], [out]

 private:
  int64_t stride_, padding_;
  PackedConvSlot packed_;  // fp32 or bf16 inference through oneDNN with packed weights
};
TORCH_MODULE(Conv2d);

class LayerNormImpl : public torch::nn::Module {
 public:
  LayerNormImpl(int64_t dim, double eps);
  // x: [..., dim] → [..., dim] in x's dtype (computed in fp32)
  at::Tensor forward(const at::Tensor& x);
  at::Tensor weight, bias;

 private:
  int64_t dim_;
  double eps_;
};
TORCH_MODULE(LayerNorm);

class GroupNormImpl : public torch::nn::Module {
 public:
  GroupNormImpl(int64_t groups, int64_t channels, double eps);
  // x: [N, C, ...] → same shape and dtype (computed in fp32); silu: x·sigmoid(x) after.
  // fp32 channels-last input (inference) → channels-last output, otherwise contiguous.
  at::Tensor forward(const at::Tensor& x, bool silu = false);
  at::Tensor weight, bias;

 private:
  int64_t groups_;
  double eps_;
};
TORCH_MODULE(GroupNorm);

// Casts every parameter and buffer of `module` to `dtype` (kFloat, kBFloat16, kHalf), except
// those of LayerNorm/GroupNorm, which stay fp32.
void cast_module(torch::nn::Module& module, c10::ScalarType dtype);

// Softmax attention for the SD models. q: [B, H, Lq, D], k/v: [B, H, Lk, D],
// bias: additive [Lq, Lk] (e.g. a causal mask) or undefined → [B, H, Lq, D].
// Without a bias: blocked_attention (fp32 inside for any input dtype). With one: scores and
// softmax in fp32, the product with v in the inputs' dtype.
at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                     const at::Tensor& bias = {});

// diffusers' get_timestep_embedding (v0.25): t: [N] (any numeric dtype) → [N, dim] fp32.
// exponent_i = -ln(max_period) * i / (dim/2 - freq_shift); args = t * exp(exponent);
// features [sin | cos], or [cos | sin] with flip_sin_to_cos. (engine/ops.h timestep_embedding is
// pictor-mini's: t in [0, 1] scaled by 1000, no shift, cos first.)
at::Tensor diffusers_timestep_embedding(const at::Tensor& t, int64_t dim, bool flip_sin_to_cos,
                                        double freq_shift, double max_period = 10000.0);

}  // namespace pictor::engine::sd::layers
