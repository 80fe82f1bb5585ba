#pragma once
// Group normalisation (optionally followed by SiLU) for fp32 or bf16 activations in channels-last
// memory, so that convolutional decoders keep one layout from layer to layer. torch 1.13's own
// channels-last group norm splits its sums by thread count; here the sums run over fixed pixel
// chunks, combined in a fixed order: the same bits for any thread count.
#include <ATen/ATen.h>

namespace pictor::engine {

// x: [N, C, H, W] fp32 or bf16 CPU (any memory format; channels-last is the fast one),
// weight/bias: [C] any float dtype or undefined → [N, C, H, W] in x's dtype, channels-last
// memory; statistics and the affine map in fp32. silu: apply x·sigmoid(x) after.
// True where group_norm_nhwc is the path to take: inference (grad mode off) on fp32/bf16 CPU
// activations held channels-last (what packed convolutions return). Other inputs go to torch's
// group norm in NCHW memory (its channels-last kernel splits sums by thread count).
bool group_norm_nhwc_applies(const at::Tensor& x);

at::Tensor group_norm_nhwc(const at::Tensor& x, int64_t groups, const at::Tensor& weight,
                           const at::Tensor& bias, double eps, bool silu);

}  // namespace pictor::engine
