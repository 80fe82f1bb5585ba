#include "engine/samplers/lcm.h"

#include <torch/torch.h>

#include <cmath>

namespace pictor::engine {

LcmScalings lcm_scalings(double timestep, double timestep_scaling) {
  constexpr float kSigmaData2 = 0.25f;  // σ_data = 0.5
  const float t = float(timestep * timestep_scaling);
  const float d = t * t + kSigmaData2;
  return {kSigmaData2 / d, t / std::sqrt(d)};
}

LcmStepResult lcm_step(const at::Tensor& sample, const at::Tensor& model_output, int64_t timestep,
                       int64_t next_timestep, const at::Tensor& alphas_cumprod,
                       const DiscreteScheduleConfig& c, const at::Tensor& noise) {
  const bool last = next_timestep < 0;
  const float a_t = alphas_cumprod[timestep].item<float>();
  const float b_t = 1.0f - a_t;
  const auto k = lcm_scalings(double(timestep), c.timestep_scaling);
  at::Tensor x0;
  switch (c.prediction_type) {
    case PredictionType::kEpsilon:
      x0 = (sample - model_output * double(std::sqrt(b_t))) / double(std::sqrt(a_t));
      break;
    case PredictionType::kSample: x0 = model_output; break;
    case PredictionType::kVPrediction:
      x0 = sample * double(std::sqrt(a_t)) - model_output * double(std::sqrt(b_t));
      break;
  }
  LcmStepResult r;
  r.denoised = x0 * double(k.c_out) + sample * double(k.c_skip);
  if (last) {
    r.prev_sample = r.denoised;
    return r;
  }
  TORCH_CHECK(noise.defined(), "LCM: a step to timestep ", next_timestep, " needs noise");
  const float a_prev = alphas_cumprod[next_timestep].item<float>();
  r.prev_sample = r.denoised * double(std::sqrt(a_prev)) + noise * double(std::sqrt(1.0f - a_prev));
  return r;
}

}  // namespace pictor::engine
