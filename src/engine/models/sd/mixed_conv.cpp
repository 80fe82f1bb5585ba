#include "engine/models/sd/mixed_conv.h"

#include <torch/torch.h>

#include <cmath>

#include "engine/ops.h"

namespace pictor::engine::sd {

MixedConv2dImpl::MixedConv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                                 int64_t padding, bool bias)
    : stride_(stride), padding_(padding) {
  // torch::nn::Conv2d's default initialisation (real weights are loaded over it).
  const double bound = 1.0 / std::sqrt(double(in * kernel * kernel));
  weight_ = register_parameter("weight", torch::empty({out, in, kernel, kernel}).uniform_(-bound, bound));
  if (bias) bias_ = register_parameter("bias", torch::empty({out}).uniform_(-bound, bound));
}

at::Tensor MixedConv2dImpl::forward(const at::Tensor& x) {
  // bf16 products for fp32 or bf16 activations (the result keeps x's dtype).
  const bool lowp = weight_lowp_.defined() && !torch::GradMode::is_enabled();
  // oneDNN with packed weights: fp32, or bf16 products (an fp32 input is cast in one pass; the
  // output is written in x's dtype directly).
  auto& slot = lowp ? packed_lowp_ : packed_;
  if (auto y = slot.forward(lowp ? weight_lowp_ : weight_, bias_, stride_, padding_, x); y.defined())
    return channels_last_output_ ? y : y.contiguous();
  const auto dtype = lowp ? torch::kBFloat16 : x.scalar_type();
  const auto& w = lowp ? weight_lowp_ : weight_;
  const auto& b = lowp ? bias_lowp_ : bias_;
  auto in = x.to(dtype);
  at::Tensor y;
  if (w.size(2) == 1 && w.size(3) == 1 && stride_ == 1 && padding_ == 0 && !torch::GradMode::is_enabled()) {
    // A 1×1 convolution is a per-pixel linear map. libtorch's 1×1 conv kernel splits its
    // reduction by thread count; fixed row blocks keep the result the same for any count.
    auto rows = linear_in_row_blocks(in.permute({0, 2, 3, 1}), w.flatten(1),
                                     b.defined() ? b.to(dtype) : at::Tensor());  // [N, H, W, out]
    y = rows.permute({0, 3, 1, 2}).contiguous();
  } else {
    y = torch::conv2d(in, w.to(dtype), b.defined() ? b.to(dtype) : at::Tensor(), stride_, padding_);
  }
  return y.to(x.scalar_type());
}

void MixedConv2dImpl::set_bf16(bool on) {
  torch::NoGradGuard no_grad;
  weight_lowp_ = on ? weight_.detach().to(torch::kBFloat16) : at::Tensor();
  bias_lowp_ = on && bias_.defined() ? bias_.detach().to(torch::kBFloat16) : at::Tensor();
}

void set_bf16_convs(torch::nn::Module& root, bool on) {
  for (const auto& m : root.modules(/*include_self=*/true))
    if (auto* conv = dynamic_cast<MixedConv2dImpl*>(m.get())) conv->set_bf16(on);
}

void set_channels_last_convs(torch::nn::Module& root, bool on) {
  // Not modules(include_self = true): that needs `root` in a shared_ptr, and constructors call this.
  if (auto* conv = dynamic_cast<MixedConv2dImpl*>(&root)) conv->set_channels_last_output(on);
  for (const auto& m : root.modules(/*include_self=*/false))
    if (auto* conv = dynamic_cast<MixedConv2dImpl*>(m.get())) conv->set_channels_last_output(on);
}

}  // namespace pictor::engine::sd
