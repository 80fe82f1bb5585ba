#pragma once
// Seeded initial noise that depends only on (seed, image index): the same pixels whatever the
// thread count, batch size or position of the image in the batch.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace pictor::engine {

// returns [C, H, W] float32 standard normal noise for image `index` of a request with `seed`.
at::Tensor seeded_noise(uint64_t seed, int64_t index, int64_t channels, int64_t height, int64_t width);

}  // namespace pictor::engine
