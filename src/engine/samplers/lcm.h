#pragma once
// Latent Consistency Model sampler (diffusers LCMScheduler v0.25): each step predicts x0, applies
// the consistency boundary condition denoised = c_out·x0 + c_skip·x, and (except on the last step)
// re-noises it to the next timestep with fresh noise: x = sqrt(ᾱ_next)·denoised + sqrt(1 − ᾱ_next)·ε.
// The model input is not rescaled and the initial noise is unit (init_noise_sigma = 1).
#include <ATen/core/Tensor.h>

#include "engine/samplers/discrete_schedule.h"

namespace pictor::engine {

struct LcmScalings {
  float c_skip = 0, c_out = 0;
};
// σ_data = 0.5, scaled t = timestep · timestep_scaling: c_skip = σ_data² / (t² + σ_data²),
// c_out = t / sqrt(t² + σ_data²).
LcmScalings lcm_scalings(double timestep, double timestep_scaling);

struct LcmStepResult {
  at::Tensor prev_sample;  // [N, C, H, W]
  at::Tensor denoised;     // [N, C, H, W], the step's image estimate
};

// sample, model_output: [N, C, H, W]; alphas_cumprod: [T] float32; next_timestep: the following
// timestep, or < 0 on the last step (prev_sample = denoised, noise unused). noise: [N, C, H, W]
// standard normal, required unless last.
LcmStepResult lcm_step(const at::Tensor& sample, const at::Tensor& model_output, int64_t timestep,
                       int64_t next_timestep, const at::Tensor& alphas_cumprod,
                       const DiscreteScheduleConfig& c, const at::Tensor& noise);

}  // namespace pictor::engine
