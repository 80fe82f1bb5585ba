#pragma once
// One sampling run of a Stable-Diffusion sampler: the schedule tables for a step count plus the
// per-run state (step index, DPM++'s previous x0), with diffusers' scheduler interface:
// init_noise_sigma, scale_model_input, step, add_noise. The math lives in the per-sampler files
// (euler, euler_ancestral, dpmpp_2m, lcm); this class only sequences it.
// Stochastic samplers (Euler ancestral, LCM) take their noise as an argument, so a run is
// reproducible from whatever generator the caller keys it to (needs_noise() says when).
#include <ATen/core/Tensor.h>

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/samplers/discrete_schedule.h"

namespace pictor::engine {

enum class SdSampler { kEuler, kEulerAncestral, kDpmpp2m, kLcm };

// "euler", "euler_a" (or "euler_ancestral"), "dpmpp_2m", "dpmpp_2m_karras" (sets
// use_karras_sigmas), "lcm". InvalidArgument names the accepted values.
Result<SdSampler> parse_sd_sampler(const std::string& name, bool* karras = nullptr);
const char* sd_sampler_name(SdSampler s);

struct SdStepResult {
  at::Tensor prev_sample;     // [N, C, H, W]
  at::Tensor pred_original;   // [N, C, H, W]: x0 (Euler, Euler a, DPM++), denoised (LCM)
};

class SdScheduler {
 public:
  // steps: inference steps; strength (LCM only) shortens the distillation schedule for img2img.
  static Result<SdScheduler> create(const DiscreteScheduleConfig& config, SdSampler sampler,
                                    int steps, double strength = 1.0);

  SdSampler sampler() const { return sampler_; }
  const std::vector<double>& timesteps() const { return schedule_.timesteps; }
  const std::vector<float>& sigmas() const { return schedule_.sigmas; }  // empty for LCM
  float init_noise_sigma() const { return schedule_.init_noise_sigma; }
  const at::Tensor& alphas_cumprod() const { return alphas_cumprod_; }  // [T] float32
  int step_index() const { return index_; }
  // Starts the run at step i (image-to-image skips the first steps). Resets multistep state.
  void set_begin_index(int i);
  // Whether step() at the current index needs noise.
  bool needs_noise() const;

  // sample: [N, C, H, W] → the UNet input at the current step (Euler: / sqrt(σ² + 1)).
  at::Tensor scale_model_input(const at::Tensor& sample) const;
  // model_output, sample: [N, C, H, W]; noise: [N, C, H, W] standard normal when needs_noise().
  // Advances the step index.
  SdStepResult step(const at::Tensor& model_output, const at::Tensor& sample,
                    const at::Tensor& noise = {});
  // original, noise: [N, C, H, W] → original noised to the level of step i (img2img start):
  // Euler: x + σ_i·ε; DPM++: α·x + σ_t·ε; LCM: sqrt(ᾱ)·x + sqrt(1 − ᾱ)·ε.
  at::Tensor add_noise(const at::Tensor& original, const at::Tensor& noise, int i) const;

 private:
  SdScheduler() = default;
  DiscreteScheduleConfig config_;
  SdSampler sampler_ = SdSampler::kEuler;
  SigmaSchedule schedule_;
  at::Tensor alphas_cumprod_;
  int index_ = 0;
  int lower_order_nums_ = 0;  // DPM++: steps taken so far (capped at 2)
  at::Tensor x0_prev_;        // DPM++: the previous step's x0
};

// A whole sampling loop in the style of stable-diffusion.cpp. model(x_in, timestep) returns the
// UNet output for the scaled input x_in [N, C, H, W]; noise(step) gives the step noise of the
// stochastic samplers. x starts at the initial latents (already multiplied by init_noise_sigma,
// or noised by add_noise for img2img, with set_begin_index done). on_step(i) after each step.
// Returns the final latents, or an undefined tensor when `cancel` was raised between steps.
at::Tensor sample_sd(SdScheduler& scheduler,
                     const std::function<at::Tensor(const at::Tensor&, double)>& model, at::Tensor x,
                     const std::function<at::Tensor(int)>& noise = {},
                     const std::function<void(int)>& on_step = {},
                     const std::atomic<bool>* cancel = nullptr);

}  // namespace pictor::engine
