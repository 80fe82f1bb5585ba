#include "engine/models/sd/mixed_conv.h"

#include <torch/torch.h>

#include <cmath>

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
  if (!weight_lowp_.defined() || x.scalar_type() == torch::kBFloat16 || torch::GradMode::is_enabled())
    return torch::conv2d(x, weight_.to(x.scalar_type()),
                         bias_.defined() ? bias_.to(x.scalar_type()) : at::Tensor(), stride_, padding_);
  return torch::conv2d(x.to(torch::kBFloat16), weight_lowp_, bias_lowp_, stride_, padding_)
      .to(x.scalar_type());
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

}  // namespace pictor::engine::sd
