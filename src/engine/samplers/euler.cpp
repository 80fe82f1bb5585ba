#include "engine/samplers/euler.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace pictor::engine {

SigmaSchedule euler_schedule(const DiscreteScheduleConfig& c, int steps, bool allow_karras) {
  SigmaSchedule s;
  const auto table = training_sigmas(alphas_cumprod(c));
  s.timesteps = euler_timesteps(c, steps);
  std::vector<double> sig;
  for (double t : s.timesteps) sig.push_back(interp_sigma(table, t));
  if (allow_karras && c.use_karras_sigmas && !sig.empty()) {
    std::vector<float> log_sigmas;
    for (float v : table) log_sigmas.push_back(std::log(v));
    sig = karras_sigmas(c.sigma_min.value_or(sig.back()), c.sigma_max.value_or(sig.front()),
                        int(sig.size()));
    for (size_t i = 0; i < sig.size(); ++i)
      s.timesteps[i] = double(float(sigma_to_timestep(sig[i], log_sigmas)));
  }
  for (double v : sig) s.sigmas.push_back(float(v));
  s.sigmas.push_back(0.0f);
  const float max_sigma = *std::max_element(s.sigmas.begin(), s.sigmas.end());
  s.init_noise_sigma = c.timestep_spacing == TimestepSpacing::kLeading
                           ? std::sqrt(max_sigma * max_sigma + 1.0f)
                           : max_sigma;
  return s;
}

at::Tensor scale_model_input_sigma(const at::Tensor& sample, float sigma) {
  const float denom = std::sqrt(sigma * sigma + 1.0f);  // float32, as diffusers' 0-d tensors
  return sample / double(denom);
}

at::Tensor predict_x0_sigma(const at::Tensor& sample, const at::Tensor& model_output, float sigma,
                            PredictionType prediction) {
  switch (prediction) {
    case PredictionType::kEpsilon: return sample - model_output * double(sigma);
    case PredictionType::kSample: return model_output;
    case PredictionType::kVPrediction: {
      const float s2p1 = sigma * sigma + 1.0f;
      return model_output * double(-sigma / std::sqrt(s2p1)) + sample / double(s2p1);
    }
  }
  return model_output;
}

at::Tensor euler_step(const at::Tensor& sample_in, const at::Tensor& model_output, float sigma,
                      float sigma_next, PredictionType prediction, at::Tensor* pred_original) {
  auto sample = sample_in.to(torch::kFloat);
  auto x0 = predict_x0_sigma(sample, model_output, sigma, prediction);
  auto derivative = (sample - x0) / double(sigma);
  const float dt = sigma_next - sigma;
  if (pred_original) *pred_original = x0;
  return (sample + derivative * double(dt)).to(model_output.scalar_type());
}

}  // namespace pictor::engine
