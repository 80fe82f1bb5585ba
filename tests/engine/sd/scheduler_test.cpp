// Stable-Diffusion schedulers (engine/samplers/{discrete_schedule,euler,euler_ancestral,dpmpp_2m,
// lcm,sd_scheduler}.h) vs diffusers v0.25 on the sd-tiny-A scheduler config (scaled_linear
// 0.00085–0.012, 1000 steps, "trailing", steps_offset 1): alphas_cumprod, timesteps (exact) and
// sigmas (rtol 1e-6) for Euler, DPM++ 2M and DPM++ 2M Karras at 1/2/4/20 steps, LCM timesteps,
// full Euler and DPM++ loops on recorded model outputs (atol 1e-5·max|ref|), plus the leading /
// linspace spacings, Euler ancestral and LCM steps against a float64 re-derivation.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "engine/samplers/discrete_schedule.h"
#include "engine/samplers/dpmpp_2m.h"
#include "engine/samplers/euler.h"
#include "engine/samplers/euler_ancestral.h"
#include "engine/samplers/lcm.h"
#include "engine/samplers/sd_scheduler.h"
#include "sd_reference.h"

namespace pictor::engine {
namespace {

using sd::testing::fixture;
using sd::testing::input;
using sd::testing::max_abs_diff;
at::Tensor reference(const std::string& name) { return sd::testing::ref(name); }

DiscreteScheduleConfig fixture_config() {
  auto c = DiscreteScheduleConfig::load(fixture("scheduler/scheduler_config.json"));
  EXPECT_TRUE(c.is_ok()) << c.status().message();
  return *c;
}

// ref_scheduler.json is Python's json.dump output, which writes -Infinity (DPM's
// lambda_min_clipped); strict JSON parsers refuse that token, so quote it first.
nlohmann::json ref_scheduler_json() {
  std::ifstream in(fixture("reference/ref_scheduler.json"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (size_t p; (p = text.find("-Infinity")) != std::string::npos;) text.replace(p, 9, "\"-inf\"");
  return nlohmann::json::parse(text);
}

std::vector<double> as_doubles(const at::Tensor& t) {
  auto d = t.to(torch::kDouble).contiguous();
  return std::vector<double>(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
}

// Timesteps exact, sigmas within rtol 1e-6; prints the largest relative sigma error.
void expect_tables(const SigmaSchedule& s, const std::string& name, int n) {
  const std::string key = "sched_" + name + "_n" + std::to_string(n);
  EXPECT_EQ(s.timesteps, as_doubles(reference(key + "_timesteps"))) << key;
  auto want = as_doubles(reference(key + "_sigmas"));
  ASSERT_EQ(s.sigmas.size(), want.size()) << key;
  double worst = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double rel = std::abs(double(s.sigmas[i]) - want[i]) / std::max(std::abs(want[i]), 1e-30);
    worst = std::max(worst, want[i] == 0 ? std::abs(double(s.sigmas[i])) : rel);
  }
  std::printf("  %-26s timesteps exact, sigmas max rel err %.3g (rtol 1e-6)\n", key.c_str(), worst);
  EXPECT_LE(worst, 1e-6) << key;
}

// atol 1e-5 · max|ref| (README: scheduler loops).
void expect_loop_close(const at::Tensor& got, const at::Tensor& want, const std::string& what) {
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  const double ref_max = want.abs().max().item<double>();
  const double err = max_abs_diff(got, want);
  std::printf("  %-42s max|diff| %.3g (tolerance %.3g)\n", what.c_str(), err, 1e-5 * ref_max);
  EXPECT_LE(err, 1e-5 * ref_max) << what;
}

TEST(SdSchedulerConfig, ReadsTheFixtureConfig) {
  auto c = fixture_config();
  EXPECT_EQ(c.num_train_timesteps, 1000);
  EXPECT_EQ(c.beta_schedule, BetaSchedule::kScaledLinear);
  EXPECT_EQ(c.timestep_spacing, TimestepSpacing::kTrailing);
  EXPECT_EQ(c.steps_offset, 1);
  EXPECT_EQ(c.prediction_type, PredictionType::kEpsilon);
  EXPECT_FALSE(c.use_karras_sigmas);
  EXPECT_FALSE(c.sigma_min.has_value());
  auto bad = DiscreteScheduleConfig::from_json(R"({"timestep_spacing": "sideways"})");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("timestep_spacing"), std::string::npos);
  auto bad_interp = DiscreteScheduleConfig::from_json(R"({"interpolation_type": "log_linear"})");
  ASSERT_FALSE(bad_interp.is_ok());
  EXPECT_EQ(bad_interp.status().code(), StatusCode::kUnsupported);
}

TEST(SdSchedule, AlphasCumprodMatchesDiffusers) {
  auto got = alphas_cumprod(fixture_config());
  auto want = reference("sched_alphas_cumprod");
  const double rel = ((got.to(torch::kDouble) - want.to(torch::kDouble)).abs() /
                      want.to(torch::kDouble).abs()).max().item<double>();
  std::printf("  sched_alphas_cumprod max rel err %.3g\n", rel);
  EXPECT_LE(rel, 1e-6);
}

TEST(SdSchedule, EulerTablesMatchDiffusers) {
  auto c = fixture_config();
  auto j = ref_scheduler_json();
  for (int n : {1, 2, 4, 20}) {
    auto s = euler_schedule(c, n);
    expect_tables(s, "euler", n);
    EXPECT_FLOAT_EQ(s.init_noise_sigma, j["euler"]["by_steps"][std::to_string(n)]["init_noise_sigma"].get<float>());
  }
}

TEST(SdSchedule, DpmTablesMatchDiffusers) {
  auto c = fixture_config();
  for (int n : {1, 2, 4, 20}) expect_tables(dpm_schedule(c, n), "dpmpp2m", n);
  c.use_karras_sigmas = true;
  for (int n : {1, 2, 4, 20}) expect_tables(dpm_schedule(c, n), "dpmpp2m_karras", n);
  EXPECT_EQ(dpm_schedule(c, 4).init_noise_sigma, 1.0f);
}

TEST(SdSchedule, LcmTimestepsMatchDiffusers) {
  auto c = fixture_config();
  for (int n : {1, 2, 4, 8}) {
    auto t = lcm_timesteps(c, n);
    ASSERT_TRUE(t.is_ok()) << t.status().message();
    EXPECT_EQ(*t, as_doubles(reference("sched_lcm_n" + std::to_string(n) + "_timesteps"))) << n;
  }
  EXPECT_FALSE(lcm_timesteps(c, 51).is_ok());  // more than the 50 distillation steps
  // img2img strength shortens the distillation schedule: 25 steps of 20 → 499 … 19.
  auto half = lcm_timesteps(c, 2, 0.5);
  ASSERT_TRUE(half.is_ok());
  EXPECT_EQ(*half, (std::vector<double>{499, 259}));
}

// README "library behaviour worth knowing": SD 1.x-style "leading" spacing with steps_offset 1.
TEST(SdSchedule, LeadingAndLinspaceSpacing) {
  auto c = fixture_config();
  c.timestep_spacing = TimestepSpacing::kLeading;
  EXPECT_EQ(euler_timesteps(c, 1), (std::vector<double>{1}));
  EXPECT_EQ(euler_timesteps(c, 4), (std::vector<double>{751, 501, 251, 1}));
  EXPECT_EQ(dpm_timesteps(c, 4), (std::vector<double>{801, 601, 401, 201}));
  // Leading: init_noise_sigma = sqrt(max σ² + 1) (4.2364 for the 4-step pipeline).
  auto s = euler_schedule(c, 4);
  EXPECT_NEAR(s.init_noise_sigma, std::sqrt(double(s.sigmas[0]) * s.sigmas[0] + 1), 1e-6);
  EXPECT_NEAR(s.init_noise_sigma, 4.2364, 1e-4);
  c.timestep_spacing = TimestepSpacing::kLinspace;
  EXPECT_EQ(euler_timesteps(c, 4), (std::vector<double>{999, 666, 333, 0}));
  // numpy rounds half to even: linspace(0, 999, 5) = 0, 249.75, 499.5, 749.25, 999.
  EXPECT_EQ(dpm_timesteps(c, 4), (std::vector<double>{999, 749, 500, 250}));
  // "trailing" with a non-integer stride: arange(1000, 0, -1000/3).round() - 1.
  c.timestep_spacing = TimestepSpacing::kTrailing;
  EXPECT_EQ(euler_timesteps(c, 3), (std::vector<double>{999, 666, 332}));
  // numpy's arange length ceil(1000 / (1000/61)) is 62: diffusers then runs 62 steps; so do we.
  EXPECT_EQ(euler_timesteps(c, 61).size(), 62u);
}

TEST(SdSchedule, EulerKarrasSpansTheInterpolatedRange) {
  auto c = fixture_config();
  c.use_karras_sigmas = true;
  auto plain = euler_schedule(fixture_config(), 8);
  auto k = euler_schedule(c, 8);
  ASSERT_EQ(k.sigmas.size(), 9u);
  EXPECT_FLOAT_EQ(k.sigmas.front(), plain.sigmas.front());
  EXPECT_NEAR(k.sigmas[7], plain.sigmas[7], 1e-5 * plain.sigmas[7]);
  EXPECT_EQ(k.sigmas.back(), 0.0f);
  EXPECT_NEAR(k.timesteps.front(), 999.0, 1e-3);
  EXPECT_NEAR(k.timesteps.back(), plain.timesteps.back(), 1e-2);
  for (size_t i = 1; i < k.timesteps.size(); ++i) EXPECT_LT(k.timesteps[i], k.timesteps[i - 1]);
}

// The full loops of the README: x0 = sched_sample * init_noise_sigma, then for each step
// scaled_inputs[i] = scale_model_input(x), x = step(sched_model_outputs[i], x).
void run_loop(const std::string& name, SdSampler sampler, bool karras, int n, bool has_pred) {
  auto c = fixture_config();
  c.use_karras_sigmas = karras;
  auto s = SdScheduler::create(c, sampler, n);
  ASSERT_TRUE(s.is_ok()) << s.status().message();
  auto outputs = input("sched_model_outputs");
  auto x = input("sched_sample") * double(s->init_noise_sigma());
  std::vector<at::Tensor> scaled, prev, pred;
  for (int i = 0; i < n; ++i) {
    scaled.push_back(s->scale_model_input(x));
    auto r = s->step(outputs[i], x);
    x = r.prev_sample;
    prev.push_back(x);
    pred.push_back(r.pred_original);
  }
  const std::string key = "sched_" + name + "_loop_n" + std::to_string(n) + "_";
  expect_loop_close(torch::stack(scaled), reference(key + "scaled_inputs"), key + "scaled_inputs");
  expect_loop_close(torch::stack(prev), reference(key + "prev_samples"), key + "prev_samples");
  if (has_pred) expect_loop_close(torch::stack(pred), reference(key + "pred_original"), key + "pred_original");
}

TEST(SdScheduler, EulerLoopMatchesDiffusers) {
  run_loop("euler", SdSampler::kEuler, false, 1, true);
  run_loop("euler", SdSampler::kEuler, false, 4, true);
}

TEST(SdScheduler, DpmppLoopsMatchDiffusers) {
  run_loop("dpmpp2m", SdSampler::kDpmpp2m, false, 1, false);
  run_loop("dpmpp2m", SdSampler::kDpmpp2m, false, 4, false);
  run_loop("dpmpp2m_karras", SdSampler::kDpmpp2m, true, 1, false);
  run_loop("dpmpp2m_karras", SdSampler::kDpmpp2m, true, 4, false);
}

TEST(SdScheduler, KarrasSingleStepLeavesTheSampleUnchanged) {
  auto c = fixture_config();
  c.use_karras_sigmas = true;
  auto s = SdScheduler::create(c, SdSampler::kDpmpp2m, 1);
  ASSERT_TRUE(s.is_ok());
  auto x = input("sched_sample");
  EXPECT_TRUE(torch::allclose(s->step(input("sched_model_outputs")[0], x).prev_sample, x));
}

TEST(SdScheduler, SampleLoopReproducesTheEulerReference) {
  auto s = SdScheduler::create(fixture_config(), SdSampler::kEuler, 4);
  ASSERT_TRUE(s.is_ok());
  auto outputs = input("sched_model_outputs");
  int calls = 0;
  auto model = [&](const at::Tensor&, double t) {
    EXPECT_EQ(t, s->timesteps()[size_t(calls)]);
    return outputs[calls++];
  };
  auto x = sample_sd(*s, model, input("sched_sample") * double(s->init_noise_sigma()));
  EXPECT_EQ(calls, 4);
  expect_loop_close(x, reference("sched_euler_loop_n4_prev_samples")[3], "sample_sd euler n4 final");
  // A raised cancel flag stops before the first step.
  std::atomic<bool> cancel{true};
  auto s2 = SdScheduler::create(fixture_config(), SdSampler::kEuler, 4);
  EXPECT_FALSE(sample_sd(*s2, model, input("sched_sample"), {}, {}, &cancel).defined());
}

TEST(SdScheduler, EulerAncestralStepMatchesAFloat64Derivation) {
  auto c = fixture_config();
  auto s = SdScheduler::create(c, SdSampler::kEulerAncestral, 4);
  ASSERT_TRUE(s.is_ok());
  auto outputs = input("sched_model_outputs");
  auto noise = input("img2img_noise_1");
  auto x = input("sched_sample") * double(s->init_noise_sigma());
  for (int i = 0; i < 4; ++i) {
    const double sigma = s->sigmas()[size_t(i)], next = s->sigmas()[size_t(i) + 1];
    const double up = std::sqrt(next * next * (sigma * sigma - next * next) / (sigma * sigma));
    const double down = std::sqrt(next * next - up * up);
    const auto a = ancestral_sigmas(float(sigma), float(next));
    EXPECT_NEAR(a.up * a.up + a.down * a.down, next * next, 1e-5 * std::max(1.0, next * next));
    EXPECT_EQ(s->needs_noise(), i < 3);
    auto xd = x.to(torch::kDouble);
    auto eps = outputs[i].to(torch::kDouble);
    auto want = xd + eps * (down - sigma) + (i < 3 ? noise.to(torch::kDouble) * up : torch::zeros_like(xd));
    auto r = s->step(outputs[i], x, i < 3 ? noise : at::Tensor());
    const double err = max_abs_diff(r.prev_sample, want);
    EXPECT_LE(err, 1e-5 * want.abs().max().item<double>()) << "step " << i;
    x = r.prev_sample;
  }
  // The same noise gives the same result.
  auto s1 = SdScheduler::create(c, SdSampler::kEulerAncestral, 4);
  auto s2 = SdScheduler::create(c, SdSampler::kEulerAncestral, 4);
  auto x0 = input("sched_sample") * 14.6146;
  EXPECT_TRUE(torch::equal(s1->step(outputs[0], x0, noise).prev_sample,
                           s2->step(outputs[0], x0, noise).prev_sample));
}

TEST(SdScheduler, LcmStepMatchesAFloat64Derivation) {
  auto c = fixture_config();
  auto s = SdScheduler::create(c, SdSampler::kLcm, 4);
  ASSERT_TRUE(s.is_ok());
  EXPECT_EQ(s->init_noise_sigma(), 1.0f);
  auto abar = as_doubles(s->alphas_cumprod());
  auto outputs = input("sched_model_outputs");
  auto noise = input("img2img_noise_1");
  auto x = input("sched_sample");
  EXPECT_TRUE(torch::equal(s->scale_model_input(x), x));
  for (int i = 0; i < 4; ++i) {
    const auto t = size_t(s->timesteps()[size_t(i)]);
    const double st = 10.0 * double(t);
    const double c_skip = 0.25 / (st * st + 0.25), c_out = st / std::sqrt(st * st + 0.25);
    auto xd = x.to(torch::kDouble);
    auto x0 = (xd - outputs[i].to(torch::kDouble) * std::sqrt(1 - abar[t])) / std::sqrt(abar[t]);
    auto denoised = x0 * c_out + xd * c_skip;
    at::Tensor want = denoised;
    if (i < 3) {
      const auto tn = size_t(s->timesteps()[size_t(i) + 1]);
      want = denoised * std::sqrt(abar[tn]) + noise.to(torch::kDouble) * std::sqrt(1 - abar[tn]);
    }
    EXPECT_EQ(s->needs_noise(), i < 3);
    auto r = s->step(outputs[i], x, i < 3 ? noise : at::Tensor());
    EXPECT_LE(max_abs_diff(r.pred_original, denoised), 1e-5 * denoised.abs().max().item<double>());
    EXPECT_LE(max_abs_diff(r.prev_sample, want), 1e-5 * want.abs().max().item<double>()) << i;
    x = r.prev_sample;
  }
  const auto k = lcm_scalings(999, 10.0);
  EXPECT_NEAR(k.c_skip, 0.25 / (9990.0 * 9990.0 + 0.25), 1e-12);
  EXPECT_NEAR(k.c_out, 1.0, 1e-6);
}

TEST(SdScheduler, AddNoiseStartsImageToImage) {
  auto c = fixture_config();
  auto s = SdScheduler::create(c, SdSampler::kEuler, 4);
  ASSERT_TRUE(s.is_ok());
  auto x = input("vae_latent_8x8"), eps = input("img2img_noise_1");
  // The img2img reference: 4 steps at strength 0.5 start at step 2 (t = 499).
  EXPECT_EQ(s->timesteps()[2], 499);
  EXPECT_TRUE(torch::allclose(s->add_noise(x, eps, 2), x + eps * 1.6128870248794556));
  s->set_begin_index(2);
  EXPECT_EQ(s->step_index(), 2);
  auto d = SdScheduler::create(c, SdSampler::kDpmpp2m, 4);
  const double sigma = d->sigmas()[2], alpha = 1 / std::sqrt(sigma * sigma + 1);
  EXPECT_TRUE(torch::allclose(d->add_noise(x, eps, 2), x * alpha + eps * (sigma * alpha)));
}

TEST(SdScheduler, ParsesSamplerNames) {
  bool karras = false;
  EXPECT_EQ(*parse_sd_sampler("euler_a"), SdSampler::kEulerAncestral);
  EXPECT_EQ(*parse_sd_sampler("dpmpp_2m_karras", &karras), SdSampler::kDpmpp2m);
  EXPECT_TRUE(karras);
  EXPECT_EQ(*parse_sd_sampler("lcm"), SdSampler::kLcm);
  auto bad = parse_sd_sampler("ddim");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("euler_a"), std::string::npos);
  EXPECT_FALSE(SdScheduler::create(fixture_config(), SdSampler::kEuler, 0).is_ok());
}

}  // namespace
}  // namespace pictor::engine
