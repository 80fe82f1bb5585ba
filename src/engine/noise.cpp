#include "engine/noise.h"

#include <torch/torch.h>

#include "core/rng.h"

namespace pictor::engine {

at::Tensor seeded_noise(uint64_t seed, int64_t index, int64_t channels, int64_t height, int64_t width) {
  Rng rng(seed, uint64_t(index) + 1);
  auto out = torch::empty({channels, height, width}, torch::kFloat);
  float* p = out.data_ptr<float>();
  for (int64_t i = 0, n = out.numel(); i < n; ++i) p[i] = float(rng.normal());
  return out;
}

}  // namespace pictor::engine
