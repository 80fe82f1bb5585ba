#pragma once
// Euler ancestral sampler (diffusers EulerAncestralDiscreteScheduler v0.25): an Euler step down
// to σ_down, then fresh noise of size σ_up, where σ_up² + σ_down² = σ_next² and
// σ_up = σ_next · sqrt((σ² − σ_next²) / σ²). The noise is passed in, so a run is reproducible
// from whatever generator the caller keys it to. Tables: euler_schedule(c, n, false) (the
// ancestral scheduler has no Karras option).
#include <ATen/core/Tensor.h>

#include "engine/samplers/discrete_schedule.h"

namespace pictor::engine {

struct AncestralSigmas {
  float up = 0, down = 0;
};
// float32, in diffusers' order of operations.
AncestralSigmas ancestral_sigmas(float sigma, float sigma_next);

// sample, model_output, noise: [N, C, H, W] (noise standard normal; may be undefined when
// sigma_next is 0, the last step) → prev sample [N, C, H, W]; *pred_original receives x0.
at::Tensor euler_ancestral_step(const at::Tensor& sample, const at::Tensor& model_output,
                                float sigma, float sigma_next, const at::Tensor& noise,
                                PredictionType prediction, at::Tensor* pred_original = nullptr);

}  // namespace pictor::engine
