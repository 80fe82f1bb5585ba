#include "engine/samplers/euler_ancestral.h"

#include <torch/torch.h>

#include <cmath>

#include "engine/samplers/euler.h"

namespace pictor::engine {

AncestralSigmas ancestral_sigmas(float sigma, float sigma_next) {
  AncestralSigmas a;
  const float to2 = sigma_next * sigma_next, from2 = sigma * sigma;
  a.up = std::sqrt(to2 * (from2 - to2) / from2);
  a.down = std::sqrt(to2 - a.up * a.up);
  return a;
}

at::Tensor euler_ancestral_step(const at::Tensor& sample_in, const at::Tensor& model_output,
                                float sigma, float sigma_next, const at::Tensor& noise,
                                PredictionType prediction, at::Tensor* pred_original) {
  auto sample = sample_in.to(torch::kFloat);
  auto x0 = predict_x0_sigma(sample, model_output, sigma, prediction);
  const auto s = ancestral_sigmas(sigma, sigma_next);
  auto derivative = (sample - x0) / double(sigma);
  const float dt = s.down - sigma;
  auto prev = sample + derivative * double(dt);
  if (s.up > 0) {
    TORCH_CHECK(noise.defined(), "Euler ancestral: a step to sigma ", sigma_next, " needs noise");
    prev = prev + noise * double(s.up);
  }
  if (pred_original) *pred_original = x0;
  return prev.to(model_output.scalar_type());
}

}  // namespace pictor::engine
