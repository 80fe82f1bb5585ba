#pragma once
// The discrete-time diffusion schedule shared by the Stable-Diffusion samplers (Euler, Euler
// ancestral, DPM++ 2M, LCM), computed the way diffusers v0.25 computes it so that timesteps match
// exactly and sigmas to float32 rounding (docs/models/sd.md):
//   betas (linear | scaled_linear | squaredcos_cap_v2 | trained_betas, optional zero-terminal-SNR
//   rescale) → alphas_cumprod (float32 cumprod) → training sigmas sqrt((1 − ᾱ) / ᾱ) (float32);
//   inference timesteps by spacing ("leading" | "trailing" | "linspace") with steps_offset;
//   sigmas at those timesteps by linear interpolation, or Karras sigmas mapped back to timesteps.
// One config type carries every key the four schedulers read; absent keys take each
// scheduler's diffusers default, so one scheduler/scheduler_config.json serves them all
// (diffusers' from_config).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace pictor::engine {

enum class BetaSchedule { kLinear, kScaledLinear, kSquaredCosCapV2, kTrained };
enum class PredictionType { kEpsilon, kVPrediction, kSample };
enum class TimestepSpacing { kLeading, kTrailing, kLinspace };

struct DiscreteScheduleConfig {
  int64_t num_train_timesteps = 1000;
  double beta_start = 0.0001;
  double beta_end = 0.02;
  BetaSchedule beta_schedule = BetaSchedule::kLinear;
  std::vector<double> trained_betas;  // kTrained only
  bool rescale_betas_zero_snr = false;
  PredictionType prediction_type = PredictionType::kEpsilon;
  TimestepSpacing timestep_spacing = TimestepSpacing::kLinspace;
  int64_t steps_offset = 0;
  // Euler / DPM++: "linear" interpolation of sigmas is the only one supported.
  bool use_karras_sigmas = false;
  std::optional<double> sigma_min, sigma_max;  // Karras range; absent = the schedule's own ends
  // DPM-Solver multistep (only algorithm_type "dpmsolver++" is implemented)
  std::string algorithm_type = "dpmsolver++";
  bool solver_heun = false;  // solver_type "heun" (default "midpoint")
  bool lower_order_final = true;
  bool euler_at_final = false;
  // LCM
  int64_t original_inference_steps = 50;
  double timestep_scaling = 10.0;
  bool set_alpha_to_one = true;

  // A diffusers scheduler_config.json of any of the four schedulers (or of DDIM/PNDM, whose
  // keys are a subset). Unknown values of the keys above are refused, naming the key;
  // interpolation_type other than "linear", timestep_type other than "discrete",
  // and thresholding/clip_sample are kUnsupported.
  static Result<DiscreteScheduleConfig> from_json(const std::string& json);
  static Result<DiscreteScheduleConfig> load(const std::string& path);
};

// The tables one sampling run uses. sigmas has one entry more than timesteps: the sigma the last
// step lands on (0 for Euler; DPM repeats a final non-zero sigma). LCM has no sigmas.
struct SigmaSchedule {
  std::vector<double> timesteps;  // model timesteps in sampling order (Euler+Karras: fractional)
  std::vector<float> sigmas;      // timesteps.size() + 1 values, float32 as diffusers rounds them
  float init_noise_sigma = 1.0f;  // initial latents = unit noise × this
};

// → [T] float32 ᾱ_t = Π_{s ≤ t} (1 − β_s), t = 0 … T−1 (float32 cumprod, like diffusers).
at::Tensor alphas_cumprod(const DiscreteScheduleConfig& c);

// ᾱ: [T] float32 → [T] σ_t = sqrt((1 − ᾱ_t) / ᾱ_t), float32 as diffusers rounds it.
std::vector<float> training_sigmas(const at::Tensor& alphas_cumprod);

// Euler / Euler-ancestral inference timesteps (floats, in sampling order), numpy-exact:
// leading  (arange(n) * (T // n)).round() reversed + steps_offset;
// trailing arange(T, 0, −T / n).round() − 1;  linspace linspace(0, T − 1, n) reversed.
std::vector<double> euler_timesteps(const DiscreteScheduleConfig& c, int steps);
// DPM-Solver inference timesteps (integers): leading and linspace place n + 1 points and drop
// the last (so leading differs from Euler's); trailing as Euler.
std::vector<double> dpm_timesteps(const DiscreteScheduleConfig& c, int steps);
// LCM inference timesteps: the distillation schedule (1 … original_steps·strength)·(T /
// original_steps) − 1, reversed, then n entries at floor(linspace(0, len, n, endpoint=False)).
// InvalidArgument when steps exceeds that schedule's length.
Result<std::vector<double>> lcm_timesteps(const DiscreteScheduleConfig& c, int steps,
                                          double strength = 1.0);

// numpy.interp(t, [0 … T−1], table) for t in [0, T−1].
double interp_sigma(const std::vector<float>& table, double t);
// Karras et al. (2022) sigmas: n values from sigma_max down to sigma_min, ρ = 7 (float64).
std::vector<double> karras_sigmas(double sigma_min, double sigma_max, int n, double rho = 7.0);
// The fractional timestep whose log-sigma interpolates linearly to log(sigma) (diffusers
// _sigma_to_t). log_sigmas: log of training_sigmas (float32).
double sigma_to_timestep(double sigma, const std::vector<float>& log_sigmas);

}  // namespace pictor::engine
