#pragma once
// Small tensor functions shared by model families. Version differences of libtorch (e.g. fused
// scaled-dot-product attention from 2.0 on) stay behind these functions.
#include <ATen/core/Tensor.h>

namespace pictor::engine {

// q: [B, H, Lq, D], k/v: [B, H, Lk, D], key_padding: [B, Lk] bool (true = ignore) or undefined,
// score_bias: [H, Lq, Lk] added to the scaled scores, or undefined. returns [B, H, Lq, D]
at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                     const at::Tensor& key_padding = {}, const at::Tensor& score_bias = {});

// Inference-only linear layer whose result does not depend on the thread count: from 1024 rows
// one oneDNN product over all rows, below that fixed blocks of 64 rows, one product per block
// on all threads (the ThreadCount tests check the bits in 1- and 2-thread processes).
// x: [..., in], weight: [out, in], bias: [out] or undefined → [..., out]
at::Tensor linear_in_row_blocks(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias);

// Nearest-neighbour 2× upsampling of channels-last activations: every output pixel is a copy of
// its source pixel's channel vector (rows built once and copied for the second output row).
// torch 1.13's channels-last bf16 upsample ran at ~2 ns per element (a VAE decode spent 0.24 s in
// it). True where it applies: inference on a CPU tensor held channels-last (any dtype).
// x: [N, C, H, W] channels-last → [N, C, 2H, 2W] channels-last, same dtype.
bool upsample_nearest2x_nhwc_applies(const at::Tensor& x);
at::Tensor upsample_nearest2x_nhwc(const at::Tensor& x);
// Nearest 2× upsampling for the models: the channels-last copy above where it applies, torch's
// otherwise (bf16 through fp32: values are only copied, so the result is the same).
// x: [N, C, H, W] → [N, C, 2H, 2W], same dtype.
at::Tensor upsample_nearest2x(const at::Tensor& x);

// Layer norm over the last dimension for bf16 activations with fp32 (or any float) weights:
// each row read into fp32, mean and variance in two passes, the result rounded to bf16 once.
// Saves torch's route (cast to fp32, norm, cast back: three passes and two buffers). Each row
// on one thread: the same bits for any thread count.
// x: [..., D] bf16 CPU, weight/bias: [D] or undefined → [..., D] bf16
at::Tensor layer_norm_bf16(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                           double eps);

// t: [N] in [0, 1] → [N, dim] sinusoidal features (dim even).
at::Tensor timestep_embedding(const at::Tensor& t, int64_t dim, double max_period = 10000.0);

}  // namespace pictor::engine
