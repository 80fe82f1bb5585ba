#pragma once
// Attention computed a block of query rows at a time: scores for 64 queries against every key
// (through oneDNN, fp32 sums), softmax, then the weighted sum of values, each block on one thread.
// At 64×64 latents the full score matrix of one SD layer is 5 heads × 4096² fp32 = 335 MB; a
// block is 1 MB and stays in cache, and nothing large is allocated (page-faulting fresh
// buffers cost a quarter of a UNet step). bf16 inputs run bf16 products (scores and softmax in
// fp32, probabilities rounded to bf16: torch's bf16 attention does the same); anything else fp32.
#include <ATen/ATen.h>

namespace pictor::engine {

// q: [B, H, Lq, D], k/v: [B, H, Lk, D] (any strides; fp32 or bf16, CPU) → [B, H, Lq, D] in v's
// dtype, a view of [B, Lq, H, D] memory: merging the heads back is free.
// Other devices and dtypes fall back to the plain softmax(q·kᵀ/√D)·v.
at::Tensor blocked_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v);

}  // namespace pictor::engine
