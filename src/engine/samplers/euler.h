#pragma once
// Euler sampler for σ-parameterised discrete diffusion (diffusers EulerDiscreteScheduler v0.25,
// s_churn = 0): x_σ = x0 + σ·ε, the model sees x_σ / sqrt(σ² + 1), and one step moves along
// dx/dσ = (x − x0(x)) / σ to the next σ.
#include <ATen/core/Tensor.h>

#include "engine/samplers/discrete_schedule.h"

namespace pictor::engine {

// Timesteps by the config's spacing, sigmas interpolated at them (or Karras sigmas from the
// interpolated ends, with timesteps mapped back, when use_karras_sigmas), then a final 0.
// init_noise_sigma = max σ for "trailing"/"linspace", sqrt(max σ² + 1) for "leading".
SigmaSchedule euler_schedule(const DiscreteScheduleConfig& c, int steps, bool allow_karras = true);

// sample: [N, C, H, W] → sample / sqrt(σ² + 1) (the UNet input at noise level σ)
at::Tensor scale_model_input_sigma(const at::Tensor& sample, float sigma);

// The denoised estimate x0 from the model output at noise level σ.
// sample, model_output: [N, C, H, W] → [N, C, H, W]
at::Tensor predict_x0_sigma(const at::Tensor& sample, const at::Tensor& model_output, float sigma,
                            PredictionType prediction);

// One Euler step from σ to σ_next. sample, model_output: [N, C, H, W] → prev sample
// [N, C, H, W]; *pred_original (if given) receives x0.
at::Tensor euler_step(const at::Tensor& sample, const at::Tensor& model_output, float sigma,
                      float sigma_next, PredictionType prediction,
                      at::Tensor* pred_original = nullptr);

}  // namespace pictor::engine
