#include "engine/samplers/dpmpp_2m.h"

#include <torch/torch.h>

#include <cmath>

namespace pictor::engine {

SigmaSchedule dpm_schedule(const DiscreteScheduleConfig& c, int steps) {
  SigmaSchedule s;
  const auto table = training_sigmas(alphas_cumprod(c));
  s.timesteps = dpm_timesteps(c, steps);
  if (c.use_karras_sigmas) {
    std::vector<float> log_sigmas;
    for (float v : table) log_sigmas.push_back(std::log(v));
    auto sig = karras_sigmas(c.sigma_min.value_or(table.front()), c.sigma_max.value_or(table.back()),
                             steps);
    s.timesteps.clear();
    for (double v : sig) {
      s.timesteps.push_back(std::nearbyint(sigma_to_timestep(v, log_sigmas)));
      s.sigmas.push_back(float(v));
    }
    s.sigmas.push_back(s.sigmas.back());
  } else {
    for (double t : s.timesteps) s.sigmas.push_back(float(interp_sigma(table, t)));
    s.sigmas.push_back(table.front());
  }
  s.init_noise_sigma = 1.0f;
  return s;
}

namespace {

struct AlphaSigma {
  float alpha, sigma, lambda;
};
// σ → α = 1/sqrt(σ² + 1), σ_t = σ·α, λ = log α − log σ_t (float32, diffusers' order).
AlphaSigma alpha_sigma(float sigma) {
  AlphaSigma a;
  a.alpha = 1.0f / std::sqrt(sigma * sigma + 1.0f);
  a.sigma = sigma * a.alpha;
  a.lambda = std::log(a.alpha) - std::log(a.sigma);
  return a;
}

}  // namespace

at::Tensor dpm_predict_x0(const at::Tensor& sample, const at::Tensor& model_output, float sigma,
                          PredictionType prediction) {
  const auto a = alpha_sigma(sigma);
  switch (prediction) {
    case PredictionType::kEpsilon: return (sample - model_output * double(a.sigma)) / double(a.alpha);
    case PredictionType::kSample: return model_output;
    case PredictionType::kVPrediction: return sample * double(a.alpha) - model_output * double(a.sigma);
  }
  return model_output;
}

at::Tensor dpmpp_2m_step(const at::Tensor& sample, const at::Tensor& x0, const at::Tensor& x0_prev,
                         float sigma_prev, float sigma, float sigma_next, bool heun) {
  const auto t = alpha_sigma(sigma_next), s0 = alpha_sigma(sigma);
  const float h = t.lambda - s0.lambda;
  const float ratio = t.sigma / s0.sigma;
  const float em1 = std::exp(-h) - 1.0f;  // e^{-h} − 1
  const float c0 = t.alpha * em1;
  if (!x0_prev.defined()) return sample * double(ratio) - x0 * double(c0);
  const auto s1 = alpha_sigma(sigma_prev);
  const float r0 = (s0.lambda - s1.lambda) / h;
  auto d1 = (x0 - x0_prev) * double(1.0f / r0);
  if (heun)
    return sample * double(ratio) - x0 * double(c0) + d1 * double(t.alpha * (em1 / h + 1.0f));
  return sample * double(ratio) - x0 * double(c0) - d1 * double(0.5f * c0);
}

}  // namespace pictor::engine
