#include "engine/samplers/discrete_schedule.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numbers>
#include <sstream>

namespace pictor::engine {

// ---------------------------------------------------------------------------------------------
// Config

Result<DiscreteScheduleConfig> DiscreteScheduleConfig::from_json(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return corrupt_data("scheduler config is not a JSON object");
  DiscreteScheduleConfig c;
  const std::string cls = j.value("_class_name", std::string());
  // Per-scheduler defaults that differ from the struct's (diffusers v0.25 __init__ defaults).
  if (cls == "LCMScheduler") {
    c.beta_start = 0.00085;
    c.beta_end = 0.012;
    c.beta_schedule = BetaSchedule::kScaledLinear;
    c.steps_offset = 0;
    c.timestep_spacing = TimestepSpacing::kLeading;
  }
  try {
    auto get = [&](const char* key, auto& out) {
      if (j.contains(key) && !j[key].is_null()) out = j[key].get<std::decay_t<decltype(out)>>();
    };
    auto get_enum = [&](const char* key, auto& out, auto table) -> Status {
      if (!j.contains(key) || j[key].is_null()) return Status::ok();
      const std::string v = j[key].get<std::string>();
      for (const auto& [name, value] : table)
        if (v == name) { out = value; return Status::ok(); }
      return unsupported(std::string("scheduler config: ") + key + " \"" + v + "\"");
    };
    get("num_train_timesteps", c.num_train_timesteps);
    get("beta_start", c.beta_start);
    get("beta_end", c.beta_end);
    PICTOR_RETURN_IF_ERROR(get_enum("beta_schedule", c.beta_schedule,
        std::vector<std::pair<std::string, BetaSchedule>>{
            {"linear", BetaSchedule::kLinear}, {"scaled_linear", BetaSchedule::kScaledLinear},
            {"squaredcos_cap_v2", BetaSchedule::kSquaredCosCapV2}}));
    get("trained_betas", c.trained_betas);
    if (!c.trained_betas.empty()) {
      c.beta_schedule = BetaSchedule::kTrained;
      c.num_train_timesteps = int64_t(c.trained_betas.size());
    }
    get("rescale_betas_zero_snr", c.rescale_betas_zero_snr);
    PICTOR_RETURN_IF_ERROR(get_enum("prediction_type", c.prediction_type,
        std::vector<std::pair<std::string, PredictionType>>{
            {"epsilon", PredictionType::kEpsilon}, {"v_prediction", PredictionType::kVPrediction},
            {"sample", PredictionType::kSample}}));
    PICTOR_RETURN_IF_ERROR(get_enum("timestep_spacing", c.timestep_spacing,
        std::vector<std::pair<std::string, TimestepSpacing>>{
            {"leading", TimestepSpacing::kLeading}, {"trailing", TimestepSpacing::kTrailing},
            {"linspace", TimestepSpacing::kLinspace}}));
    get("steps_offset", c.steps_offset);
    get("use_karras_sigmas", c.use_karras_sigmas);
    if (j.contains("sigma_min") && j["sigma_min"].is_number()) c.sigma_min = j["sigma_min"].get<double>();
    if (j.contains("sigma_max") && j["sigma_max"].is_number()) c.sigma_max = j["sigma_max"].get<double>();
    get("algorithm_type", c.algorithm_type);
    std::string solver_type = "midpoint";
    get("solver_type", solver_type);
    if (solver_type != "midpoint" && solver_type != "heun")
      return unsupported("scheduler config: solver_type \"" + solver_type + "\"");
    c.solver_heun = solver_type == "heun";
    get("lower_order_final", c.lower_order_final);
    get("euler_at_final", c.euler_at_final);
    get("original_inference_steps", c.original_inference_steps);
    get("timestep_scaling", c.timestep_scaling);
    get("set_alpha_to_one", c.set_alpha_to_one);

    std::string interpolation = "linear", timestep_type = "discrete";
    get("interpolation_type", interpolation);
    get("timestep_type", timestep_type);
    if (interpolation != "linear")
      return unsupported("scheduler config: interpolation_type \"" + interpolation + "\"");
    if (timestep_type != "discrete")
      return unsupported("scheduler config: timestep_type \"" + timestep_type + "\"");
    for (const char* key : {"thresholding", "clip_sample", "use_lu_lambdas"}) {
      bool on = false;
      get(key, on);
      if (on) return unsupported(std::string("scheduler config: ") + key + " = true");
    }
  } catch (const nlohmann::json::exception& e) {
    return corrupt_data(std::string("scheduler config: ") + e.what());
  }
  if (c.num_train_timesteps < 2 || c.original_inference_steps < 1 || c.steps_offset < 0)
    return corrupt_data("scheduler config: num_train_timesteps, original_inference_steps or "
                        "steps_offset out of range");
  return c;
}

Result<DiscreteScheduleConfig> DiscreteScheduleConfig::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!std::filesystem::exists(path)) return not_found("no such file: " + path);
    return io_error("cannot read " + path);
  }
  std::ostringstream s;
  s << in.rdbuf();
  auto c = from_json(s.str());
  if (!c.is_ok()) return Status(c.status().code(), path + ": " + c.status().message());
  return c;
}

// ---------------------------------------------------------------------------------------------
// Training schedule

namespace {

// diffusers rescale_zero_terminal_snr: shift and scale sqrt(ᾱ) so that the last step has SNR 0.
// betas: [T] float32 → [T] float32
at::Tensor rescale_zero_terminal_snr(const at::Tensor& betas) {
  auto abar_sqrt = torch::cumprod(1.0 - betas, 0).sqrt();
  auto first = abar_sqrt[0].clone(), last = abar_sqrt[-1].clone();
  abar_sqrt = (abar_sqrt - last) * (first / (first - last));
  auto abar = abar_sqrt.pow(2);
  auto alphas = torch::cat({abar.slice(0, 0, 1), abar.slice(0, 1) / abar.slice(0, 0, -1)});
  return 1 - alphas;
}

}  // namespace

at::Tensor alphas_cumprod(const DiscreteScheduleConfig& c) {
  const int64_t n = c.num_train_timesteps;
  at::Tensor betas;
  switch (c.beta_schedule) {
    case BetaSchedule::kLinear:
      betas = torch::linspace(c.beta_start, c.beta_end, n, torch::kFloat);
      break;
    case BetaSchedule::kScaledLinear:
      betas = torch::linspace(std::sqrt(c.beta_start), std::sqrt(c.beta_end), n, torch::kFloat).pow(2);
      break;
    case BetaSchedule::kSquaredCosCapV2: {
      auto abar = [](double t) {
        return std::pow(std::cos((t + 0.008) / 1.008 * std::numbers::pi / 2), 2);
      };
      std::vector<float> b(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i)
        b[size_t(i)] = float(std::min(1 - abar(double(i + 1) / n) / abar(double(i) / n), 0.999));
      betas = torch::tensor(b, torch::kFloat);
      break;
    }
    case BetaSchedule::kTrained: {
      std::vector<float> b(c.trained_betas.begin(), c.trained_betas.end());
      betas = torch::tensor(b, torch::kFloat);
      break;
    }
  }
  if (c.rescale_betas_zero_snr) betas = rescale_zero_terminal_snr(betas);
  auto abar = torch::cumprod(1.0 - betas, 0);
  // SNR 0 would make σ infinite; diffusers' Euler uses 2^-24 for the last ᾱ.
  if (c.rescale_betas_zero_snr) abar[-1] = std::pow(2.0, -24);
  return abar;
}

std::vector<float> training_sigmas(const at::Tensor& alphas_cumprod) {
  auto s = ((1 - alphas_cumprod) / alphas_cumprod).pow(0.5).contiguous();
  return std::vector<float>(s.data_ptr<float>(), s.data_ptr<float>() + s.numel());
}

// ---------------------------------------------------------------------------------------------
// Inference timesteps

namespace {

// numpy.arange(start, stop, step) for a negative float step.
std::vector<double> arange_down(double start, double stop, double step) {
  const auto len = int64_t(std::ceil((stop - start) / step));
  std::vector<double> v;
  for (int64_t i = 0; i < len; ++i) v.push_back(start + double(i) * step);
  return v;
}

// numpy.linspace(start, stop, num, endpoint)
std::vector<double> linspace(double start, double stop, int64_t num, bool endpoint = true) {
  std::vector<double> v;
  if (num <= 0) return v;
  const double div = double(endpoint ? num - 1 : num);
  const double step = div > 0 ? (stop - start) / div : 0;
  for (int64_t i = 0; i < num; ++i) v.push_back(start + double(i) * step);
  if (endpoint && num > 1) v.back() = stop;
  return v;
}

double round_half_even(double x) { return std::nearbyint(x); }  // numpy round

}  // namespace

std::vector<double> euler_timesteps(const DiscreteScheduleConfig& c, int steps) {
  const int64_t T = c.num_train_timesteps;
  std::vector<double> t;
  switch (c.timestep_spacing) {
    case TimestepSpacing::kLinspace:
      for (double v : linspace(0, double(T - 1), steps)) t.insert(t.begin(), double(float(v)));
      break;
    case TimestepSpacing::kLeading: {
      const int64_t ratio = T / steps;
      for (int64_t i = steps - 1; i >= 0; --i) t.push_back(double(i * ratio + c.steps_offset));
      break;
    }
    case TimestepSpacing::kTrailing:
      for (double v : arange_down(double(T), 0, -double(T) / steps))
        t.push_back(double(float(round_half_even(v))) - 1);
      break;
  }
  return t;
}

std::vector<double> dpm_timesteps(const DiscreteScheduleConfig& c, int steps) {
  // lambda_min_clipped = -inf (the default) keeps every training step: last_timestep = T.
  const int64_t T = c.num_train_timesteps, last = T;
  std::vector<double> t;
  switch (c.timestep_spacing) {
    case TimestepSpacing::kLinspace: {
      auto v = linspace(0, double(last - 1), steps + 1);
      for (int i = steps; i >= 1; --i) t.push_back(round_half_even(v[size_t(i)]));
      break;
    }
    case TimestepSpacing::kLeading: {
      const int64_t ratio = last / (steps + 1);
      for (int64_t i = steps; i >= 1; --i) t.push_back(double(i * ratio + c.steps_offset));
      break;
    }
    case TimestepSpacing::kTrailing:
      for (double v : arange_down(double(last), 0, -double(T) / steps))
        t.push_back(round_half_even(v) - 1);
      break;
  }
  return t;
}

Result<std::vector<double>> lcm_timesteps(const DiscreteScheduleConfig& c, int steps,
                                          double strength) {
  const int64_t T = c.num_train_timesteps, original = c.original_inference_steps;
  if (steps < 1 || steps > T)
    return invalid_argument("LCM: steps must be in [1, " + std::to_string(T) + "]");
  const int64_t k = T / original;
  std::vector<double> origin;  // reversed distillation schedule
  for (int64_t i = int64_t(double(original) * strength); i >= 1; --i) origin.push_back(double(i * k - 1));
  if (int64_t(origin.size()) / steps < 1)
    return invalid_argument("LCM: " + std::to_string(steps) + " steps exceed the " +
                            std::to_string(origin.size()) +
                            " steps of the distillation schedule (original_inference_steps × strength)");
  std::vector<double> t;
  for (double idx : linspace(0, double(origin.size()), steps, /*endpoint=*/false))
    t.push_back(origin[size_t(std::floor(idx))]);
  return t;
}

// ---------------------------------------------------------------------------------------------
// Sigmas

double interp_sigma(const std::vector<float>& table, double t) {
  const auto n = int64_t(table.size());
  if (t <= 0) return table.front();
  if (t >= double(n - 1)) return table.back();
  const auto j = int64_t(std::floor(t));
  if (double(j) == t) return table[size_t(j)];
  const double slope = double(table[size_t(j + 1)]) - double(table[size_t(j)]);
  return slope * (t - double(j)) + double(table[size_t(j)]);
}

std::vector<double> karras_sigmas(double sigma_min, double sigma_max, int n, double rho) {
  const double min_inv = std::pow(sigma_min, 1 / rho), max_inv = std::pow(sigma_max, 1 / rho);
  std::vector<double> s;
  for (double r : linspace(0, 1, n)) s.push_back(std::pow(max_inv + r * (min_inv - max_inv), rho));
  return s;
}

double sigma_to_timestep(double sigma, const std::vector<float>& log_sigmas) {
  const double ls = std::log(std::max(sigma, 1e-10));
  const auto n = int64_t(log_sigmas.size());
  // Last index whose log-sigma is ≤ ls (0 when none), kept one below the end.
  int64_t low = 0;
  for (int64_t i = 0; i < n; ++i)
    if (ls - double(log_sigmas[size_t(i)]) >= 0) low = i;
  low = std::min(low, n - 2);
  const double lo = log_sigmas[size_t(low)], hi = log_sigmas[size_t(low + 1)];
  const double w = std::clamp((lo - ls) / (lo - hi), 0.0, 1.0);
  return (1 - w) * double(low) + w * double(low + 1);
}

}  // namespace pictor::engine
