#include "engine/models/sd/sd_layers.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "engine/blocked_attention.h"
#include "engine/group_norm_nhwc.h"
#include "engine/ops.h"

namespace pictor::engine::sd::layers {

// Weights are always loaded from a checkpoint; zeros keep unloaded modules deterministic.

LinearImpl::LinearImpl(int64_t in, int64_t out, bool has_bias) {
  weight = register_parameter("weight", torch::zeros({out, in}));
  if (has_bias) bias = register_parameter("bias", torch::zeros({out}));
}

at::Tensor LinearImpl::forward(const at::Tensor& x) {
  if (torch::GradMode::is_enabled()) return torch::linear(x, weight, bias);
  return linear_in_row_blocks(x, weight, bias);
}

Conv2dImpl::Conv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding)
    : stride_(stride), padding_(padding) {
  weight = register_parameter("weight", torch::zeros({out, in, kernel, kernel}));
  bias = register_parameter("bias", torch::zeros({out}));
}

at::Tensor Conv2dImpl::forward(const at::Tensor& x) {
  if (auto y = packed_.forward(weight, bias, stride_, padding_, x); y.defined()) return y;
  if (weight.size(2) == 1 && weight.size(3) == 1 && stride_ == 1 && padding_ == 0 &&
      !torch::GradMode::is_enabled()) {
    // A 1x1 convolution is a per-pixel linear layer; oneDNN's 1x1 kernels split the reduction by
    // thread count (see pictor_mini.cpp), the row blocks do not. [N, H, W, out] viewed as
    // [N, out, H, W]: channels-last memory, no copy.
    auto w = weight.view({weight.size(0), weight.size(1)});
    return linear_in_row_blocks(x.permute({0, 2, 3, 1}), w, bias).permute({0, 3, 1, 2});
  }
  return torch::conv2d(x, weight, bias, stride_, padding_);
}

LayerNormImpl::LayerNormImpl(int64_t dim, double eps) : dim_(dim), eps_(eps) {
  weight = register_parameter("weight", torch::ones({dim}));
  bias = register_parameter("bias", torch::zeros({dim}));
}

at::Tensor LayerNormImpl::forward(const at::Tensor& x) {
  if (x.scalar_type() == torch::kFloat && weight.scalar_type() == torch::kFloat)
    return torch::layer_norm(x, {dim_}, weight, bias, eps_);
  if (x.scalar_type() == torch::kBFloat16 && x.device().is_cpu() && !torch::GradMode::is_enabled())
    return layer_norm_bf16(x, weight, bias, eps_);
  return torch::layer_norm(x.to(torch::kFloat), {dim_}, weight.to(torch::kFloat),
                           bias.to(torch::kFloat), eps_)
      .to(x.scalar_type());
}

GroupNormImpl::GroupNormImpl(int64_t groups, int64_t channels, double eps)
    : groups_(groups), eps_(eps) {
  weight = register_parameter("weight", torch::ones({channels}));
  bias = register_parameter("bias", torch::zeros({channels}));
}

at::Tensor GroupNormImpl::forward(const at::Tensor& x, bool silu) {
  // fp32 channels-last activations (what packed convolutions return) stay channels-last.
  if (group_norm_nhwc_applies(x) && weight.scalar_type() == torch::kFloat)
    return group_norm_nhwc(x, groups_, weight, bias, eps_, silu);
  // torch's channels-last group norm splits its sums by thread count: NCHW memory first.
  auto y = x.scalar_type() == torch::kFloat && weight.scalar_type() == torch::kFloat
               ? torch::group_norm(x.contiguous(), groups_, weight, bias, eps_)
               : torch::group_norm(x.contiguous().to(torch::kFloat), groups_,
                                   weight.to(torch::kFloat), bias.to(torch::kFloat), eps_)
                     .to(x.scalar_type());
  return silu ? torch::silu(y) : y;
}

void cast_module(torch::nn::Module& module, c10::ScalarType dtype) {
  torch::NoGradGuard no_grad;
  for (auto& m : module.modules(/*include_self=*/true)) {
    const bool norm =
        dynamic_cast<LayerNormImpl*>(m.get()) || dynamic_cast<GroupNormImpl*>(m.get());
    const auto target = norm ? torch::kFloat : dtype;
    // Only this module's own tensors: children are visited on their own.
    for (auto& p : m->named_parameters(/*recurse=*/false)) p.value().set_data(p.value().to(target));
    for (auto& b : m->named_buffers(/*recurse=*/false))
      if (b.value().is_floating_point()) b.value().set_data(b.value().to(target));
  }
}

at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                     const at::Tensor& bias) {
  if (!bias.defined()) return blocked_attention(q, k, v);
  const double scale = 1.0 / std::sqrt(double(q.size(-1)));
  auto scores = torch::matmul(q.to(torch::kFloat), k.to(torch::kFloat).transpose(-2, -1)) * scale;
  if (bias.defined()) scores = scores + bias.to(torch::kFloat);
  return torch::matmul(torch::softmax(scores, -1).to(v.scalar_type()), v);
}

at::Tensor diffusers_timestep_embedding(const at::Tensor& t, int64_t dim, bool flip_sin_to_cos,
                                        double freq_shift, double max_period) {
  const int64_t half = dim / 2;
  auto exponent =
      torch::arange(half, torch::TensorOptions().dtype(torch::kFloat).device(t.device())) *
      (-std::log(max_period));
  exponent = exponent / (double(half) - freq_shift);
  auto args = t.to(torch::kFloat).unsqueeze(1) * torch::exp(exponent).unsqueeze(0);  // [N, half]
  auto emb = flip_sin_to_cos ? torch::cat({torch::cos(args), torch::sin(args)}, -1)
                             : torch::cat({torch::sin(args), torch::cos(args)}, -1);
  if (dim % 2 == 1) emb = torch::constant_pad_nd(emb, {0, 1});
  return emb;
}

}  // namespace pictor::engine::sd::layers
