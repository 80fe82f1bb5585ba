#pragma once
// A 2-D convolution with the parameter names of torch::nn::Conv2d ("weight", "bias") that can run
// its product in bf16 on fp32 master weights: the input is cast to bf16, the convolution runs in
// bf16 with fp32 sums and the result comes back in the input's dtype (autocast semantics; fp32
// or bf16 activations). Used by the VAE and TAESD.
#include <torch/nn/module.h>

#include <cstdint>

#include "engine/onednn_conv.h"

namespace pictor::engine::sd {

class MixedConv2dImpl : public torch::nn::Module {
 public:
  MixedConv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1,
                  int64_t padding = 0, bool bias = true);
  // x: [N, in, H, W] → [N, out, H', W'] in x's dtype
  at::Tensor forward(const at::Tensor& x);
  // Caches bf16 copies of the weights (call again after loading new weights); false drops them.
  void set_bf16(bool on);
  bool bf16() const { return weight_lowp_.defined(); }
  // fp32 results in channels-last memory (cheaper when only element-wise ops and other
  // convolutions follow, as in TAESD); off by default: plain contiguous NCHW.
  void set_channels_last_output(bool on) { channels_last_output_ = on; }

 private:
  int64_t stride_, padding_;
  at::Tensor weight_, bias_, weight_lowp_, bias_lowp_;
  engine::PackedConvSlot packed_;       // fp32 inference through oneDNN with packed weights
  engine::PackedConvSlot packed_lowp_;  // the same with the bf16 weights
  bool channels_last_output_ = false;
};
TORCH_MODULE(MixedConv2d);

// Calls set_bf16(on) on every MixedConv2d below `root` (including itself).
void set_bf16_convs(torch::nn::Module& root, bool on);
// Calls set_channels_last_output(on) on every MixedConv2d below `root`.
void set_channels_last_convs(torch::nn::Module& root, bool on);

}  // namespace pictor::engine::sd
