#pragma once
// Row softmax of fp32 scores into bf16 probabilities with AVX-512 (the attention's bf16 path).
// oneDNN 2.6's softmax took ~0.75 ns per element inside the UNet's attention, a third of its time.
// Torch-free; compiled with AVX-512 flags: call only where cpu_has_avx512_bf16() (engine/device.h).
#include <cstdint>

namespace pictor::engine {

// scores: [rows, cols] fp32, overwritten with exp(x - row max); probs: [rows, cols] bf16 bits,
// exp(x - max) / sum, each row summed left to right (the same bits for any thread count).
void softmax_rows_fp32_to_bf16(float* scores, uint16_t* probs, int64_t rows, int64_t cols);

}  // namespace pictor::engine
