#include "engine/samplers/sd_scheduler.h"

#include <torch/torch.h>

#include <cmath>

#include "engine/samplers/dpmpp_2m.h"
#include "engine/samplers/euler.h"
#include "engine/samplers/euler_ancestral.h"
#include "engine/samplers/lcm.h"

namespace pictor::engine {

Result<SdSampler> parse_sd_sampler(const std::string& name, bool* karras) {
  if (karras) *karras = false;
  if (name == "euler") return SdSampler::kEuler;
  if (name == "euler_a" || name == "euler_ancestral") return SdSampler::kEulerAncestral;
  if (name == "dpmpp_2m") return SdSampler::kDpmpp2m;
  if (name == "dpmpp_2m_karras") {
    if (karras) *karras = true;
    return SdSampler::kDpmpp2m;
  }
  if (name == "lcm") return SdSampler::kLcm;
  return invalid_argument("unknown sampler \"" + name +
                          "\" (euler, euler_a, dpmpp_2m, dpmpp_2m_karras, lcm)");
}

const char* sd_sampler_name(SdSampler s) {
  switch (s) {
    case SdSampler::kEuler: return "euler";
    case SdSampler::kEulerAncestral: return "euler_a";
    case SdSampler::kDpmpp2m: return "dpmpp_2m";
    case SdSampler::kLcm: return "lcm";
  }
  return "?";
}

Result<SdScheduler> SdScheduler::create(const DiscreteScheduleConfig& config, SdSampler sampler,
                                        int steps, double strength) {
  if (steps < 1 || steps > config.num_train_timesteps)
    return invalid_argument("steps must be in [1, " + std::to_string(config.num_train_timesteps) + "]");
  if (sampler == SdSampler::kDpmpp2m && config.algorithm_type != "dpmsolver++")
    return unsupported("DPM++ 2M: algorithm_type \"" + config.algorithm_type + "\"");
  SdScheduler s;
  s.config_ = config;
  s.sampler_ = sampler;
  s.alphas_cumprod_ = engine::alphas_cumprod(config);
  switch (sampler) {
    case SdSampler::kEuler: s.schedule_ = euler_schedule(config, steps); break;
    case SdSampler::kEulerAncestral: s.schedule_ = euler_schedule(config, steps, false); break;
    case SdSampler::kDpmpp2m: s.schedule_ = dpm_schedule(config, steps); break;
    case SdSampler::kLcm: {
      auto t = lcm_timesteps(config, steps, strength);
      if (!t.is_ok()) return t.status();
      s.schedule_.timesteps = *t;
      s.schedule_.init_noise_sigma = 1.0f;
      break;
    }
  }
  return s;
}

void SdScheduler::set_begin_index(int i) {
  index_ = i;
  lower_order_nums_ = 0;
  x0_prev_ = at::Tensor();
}

bool SdScheduler::needs_noise() const {
  const auto i = size_t(index_);
  if (sampler_ == SdSampler::kEulerAncestral) return i + 1 < schedule_.sigmas.size() && schedule_.sigmas[i + 1] > 0;
  if (sampler_ == SdSampler::kLcm) return i + 1 < schedule_.timesteps.size();
  return false;
}

at::Tensor SdScheduler::scale_model_input(const at::Tensor& sample) const {
  if (sampler_ == SdSampler::kEuler || sampler_ == SdSampler::kEulerAncestral)
    return scale_model_input_sigma(sample, schedule_.sigmas[size_t(index_)]);
  return sample;
}

SdStepResult SdScheduler::step(const at::Tensor& model_output, const at::Tensor& sample,
                               const at::Tensor& noise) {
  const auto n = int(schedule_.timesteps.size());
  TORCH_CHECK(index_ < n, "scheduler: step ", index_, " past the last of ", n);
  const auto i = size_t(index_);
  SdStepResult r;
  switch (sampler_) {
    case SdSampler::kEuler:
      r.prev_sample = euler_step(sample, model_output, schedule_.sigmas[i], schedule_.sigmas[i + 1],
                                 config_.prediction_type, &r.pred_original);
      break;
    case SdSampler::kEulerAncestral:
      r.prev_sample = euler_ancestral_step(sample, model_output, schedule_.sigmas[i],
                                           schedule_.sigmas[i + 1], noise, config_.prediction_type,
                                           &r.pred_original);
      break;
    case SdSampler::kDpmpp2m: {
      // diffusers: first order on the first step and, for short runs (< 15 steps) with
      // lower_order_final (or always with euler_at_final), on the last step.
      const bool final_low = config_.euler_at_final || (config_.lower_order_final && n < 15);
      const bool first_order = lower_order_nums_ < 1 || (index_ == n - 1 && final_low);
      auto x0 = dpm_predict_x0(sample, model_output, schedule_.sigmas[i], config_.prediction_type);
      r.prev_sample = dpmpp_2m_step(sample, x0, first_order ? at::Tensor() : x0_prev_,
                                    i > 0 ? schedule_.sigmas[i - 1] : 0.0f, schedule_.sigmas[i],
                                    schedule_.sigmas[i + 1], config_.solver_heun);
      r.pred_original = x0;
      x0_prev_ = x0;
      lower_order_nums_ = std::min(lower_order_nums_ + 1, 2);
      break;
    }
    case SdSampler::kLcm: {
      const auto t = int64_t(schedule_.timesteps[i]);
      const int64_t next = index_ + 1 < n ? int64_t(schedule_.timesteps[i + 1]) : -1;
      auto lr = lcm_step(sample, model_output, t, next, alphas_cumprod_, config_, noise);
      r.prev_sample = lr.prev_sample;
      r.pred_original = lr.denoised;
      break;
    }
  }
  ++index_;
  return r;
}

at::Tensor SdScheduler::add_noise(const at::Tensor& original, const at::Tensor& noise, int i) const {
  TORCH_CHECK(i >= 0 && size_t(i) < schedule_.timesteps.size(), "add_noise: step ", i, " out of range");
  switch (sampler_) {
    case SdSampler::kEuler:
    case SdSampler::kEulerAncestral:
      return original + noise * double(schedule_.sigmas[size_t(i)]);
    case SdSampler::kDpmpp2m: {
      const float sigma = schedule_.sigmas[size_t(i)];
      const float alpha = 1.0f / std::sqrt(sigma * sigma + 1.0f);
      return original * double(alpha) + noise * double(sigma * alpha);
    }
    case SdSampler::kLcm: {
      const float a = alphas_cumprod_[int64_t(schedule_.timesteps[size_t(i)])].item<float>();
      return original * double(std::sqrt(a)) + noise * double(std::sqrt(1.0f - a));
    }
  }
  return original;
}

at::Tensor sample_sd(SdScheduler& scheduler,
                     const std::function<at::Tensor(const at::Tensor&, double)>& model, at::Tensor x,
                     const std::function<at::Tensor(int)>& noise,
                     const std::function<void(int)>& on_step, const std::atomic<bool>* cancel) {
  const auto n = int(scheduler.timesteps().size());
  while (scheduler.step_index() < n) {
    if (cancel && cancel->load()) return {};
    const int i = scheduler.step_index();
    auto out = model(scheduler.scale_model_input(x), scheduler.timesteps()[size_t(i)]);
    at::Tensor eps;
    if (scheduler.needs_noise()) {
      TORCH_CHECK(noise, "sampler ", sd_sampler_name(scheduler.sampler()), " needs step noise");
      eps = noise(i);
    }
    x = scheduler.step(out, x, eps).prev_sample;
    if (on_step) on_step(i);
  }
  return x;
}

}  // namespace pictor::engine
