#pragma once
// DPM-Solver++(2M) (diffusers DPMSolverMultistepScheduler v0.25, algorithm_type "dpmsolver++",
// solver_order 2): a multistep solver on the data prediction x0 in log-SNR time λ = log(α/σ_t),
// with α = 1/sqrt(σ² + 1), σ_t = σ·α. The first step (and, for runs under 15 steps, the last, with
// lower_order_final) is first order; the others use the previous x0 as well.
#include <ATen/core/Tensor.h>

#include "engine/samplers/discrete_schedule.h"

namespace pictor::engine {

// DPM timesteps (dpm_timesteps) with sigmas interpolated at them and, as the final entry, σ at
// t = 0 (not 0); or, with use_karras_sigmas, Karras sigmas over the whole training range with
// timesteps rounded from them and the last sigma repeated. init_noise_sigma = 1 (the model input
// is not rescaled: x_t = α·x0 + σ_t·ε is already unit scale).
SigmaSchedule dpm_schedule(const DiscreteScheduleConfig& c, int steps);

// x0 from the model output at σ. sample, model_output: [N, C, H, W] → [N, C, H, W]
at::Tensor dpm_predict_x0(const at::Tensor& sample, const at::Tensor& model_output, float sigma,
                          PredictionType prediction);

// One DPM-Solver++ update from σ to σ_next. x0: this step's data prediction; x0_prev: the
// previous step's (at σ_prev) or undefined for a first-order update. heun: solver_type "heun"
// instead of "midpoint". sample, x0, x0_prev: [N, C, H, W] → prev sample [N, C, H, W]
at::Tensor dpmpp_2m_step(const at::Tensor& sample, const at::Tensor& x0, const at::Tensor& x0_prev,
                         float sigma_prev, float sigma, float sigma_next, bool heun = false);

}  // namespace pictor::engine
