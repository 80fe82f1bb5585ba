#include "engine/pipelines/sd_pipeline.h"

#include <torch/torch.h>

#include <algorithm>

#include "engine/noise.h"

namespace pictor::engine::sd {

namespace {

std::string shape_str(at::IntArrayRef sizes) {
  std::string s = "[";
  for (size_t i = 0; i < sizes.size(); ++i) s += (i ? ", " : "") + std::to_string(sizes[i]);
  return s + "]";
}

Status check_shape(const at::Tensor& t, std::vector<int64_t> want, const char* what) {
  if (!t.defined() || t.sizes().vec() == want) return Status::ok();
  return invalid_argument(std::string(what) + " must be " + shape_str(want) + " (got " + shape_str(t.sizes()) + ")");
}

uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

at::Tensor sd_noise(uint64_t seed, int64_t index, int64_t purpose, int64_t channels, int64_t height,
                    int64_t width) {
  const uint64_t key = purpose == 0 ? seed : mix64(seed ^ mix64(uint64_t(purpose)));
  return seeded_noise(key, index, channels, height, width).unsqueeze(0);  // [1, C, H, W]
}

at::Tensor encode_sd_prompt(SdModel& model, const std::string& prompt, bool* truncated) {
  const auto& tok = *model.tokenizer;
  if (truncated) *truncated = int(tok.encode_unpadded(prompt).size()) > tok.max_length();
  std::vector<int64_t> ids = tok.encode(prompt);
  // The text encoder's position table bounds the sequence (77 for every SD model).
  const auto device = model.unet->parameters().front().device();
  auto t = torch::tensor(ids, torch::kLong).unsqueeze(0).to(device);  // [1, L]
  return model.text_encoder->forward(t).last_hidden_state;            // [1, L, D]
}

Result<SdPipelineResult> run_sd_pipeline(SdModel& model, const SdPipelineRequest& req,
                                         const SdProgressFn& progress, const std::atomic<bool>* cancel,
                                         const SdStepHook& on_step) {
  torch::InferenceMode guard;
  const int64_t scale = model.vae_scale();
  const int64_t width = req.width > 0 ? req.width : model.native_size();
  const int64_t height = req.height > 0 ? req.height : model.native_size();
  if (width % scale != 0 || height % scale != 0)
    return invalid_argument("image size " + std::to_string(width) + "x" + std::to_string(height) +
                            " is not a multiple of " + std::to_string(scale));
  if (req.n < 1) return invalid_argument("n must be at least 1");
  if (req.steps < 1) return invalid_argument("steps must be at least 1");
  if (req.decoder == SdDecoder::kTaesd && !model.taesd)
    return invalid_argument("this model has no TAESD decoder (put a taesd/ folder next to it)");
  const bool has_image = req.init_image.defined();
  if (req.mask.defined() && !has_image) return invalid_argument("a mask needs an input image");
  if (has_image && !(req.strength > 0 && req.strength <= 1)) return invalid_argument("strength must be in (0, 1]");
  const int64_t lh = height / scale, lw = width / scale, lc = model.unet->config().in_channels;
  PICTOR_RETURN_IF_ERROR(check_shape(req.init_image, {1, 3, height, width}, "the input image"));
  PICTOR_RETURN_IF_ERROR(check_shape(req.mask, {1, 1, height, width}, "the mask"));
  PICTOR_RETURN_IF_ERROR(check_shape(req.init_noise, {req.n, lc, lh, lw}, "init noise"));
  PICTOR_RETURN_IF_ERROR(check_shape(req.encode_noise, {req.n, lc, lh, lw}, "encode noise"));

  DiscreteScheduleConfig sched_config = model.scheduler;
  sched_config.use_karras_sigmas = req.karras;
  // Image-to-image runs the last ⌊steps · strength⌋ steps of the schedule (diffusers get_timesteps).
  int t_start = 0;
  const bool noised_start = has_image && !(req.mask.defined() && req.strength >= 1.0);
  if (has_image) {
    const int init_timestep = std::min(int(req.steps * req.strength), req.steps);
    t_start = std::max(req.steps - init_timestep, 0);
    if (t_start >= req.steps)
      return invalid_argument("strength " + std::to_string(req.strength) + " with " + std::to_string(req.steps) +
                              " steps leaves no step to run: raise the strength or the steps");
  }
  // One scheduler run per image (it carries state); created once here to check the config.
  auto probe = SdScheduler::create(sched_config, req.sampler, req.steps);
  if (!probe.is_ok()) return probe.status();

  SdPipelineResult result;
  const bool guided = req.guidance > 1.0;
  bool truncated = false, neg_truncated = false;
  at::Tensor context = encode_sd_prompt(model, req.prompt, &truncated);  // [1, 77, D]
  if (guided) context = torch::cat({encode_sd_prompt(model, req.negative_prompt, &neg_truncated), context}, 0);
  if (truncated || neg_truncated)
    result.warnings.push_back("prompt truncated to " + std::to_string(model.tokenizer->max_text_tokens()) +
                              " CLIP tokens");

  const auto device = model.unet->parameters().front().device();
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat).device(device);
  // Inputs in latent space: the posterior of the input image, the mask at latent resolution
  // (a latent pixel is repainted when any pixel of its 8x8 block is).
  LatentDistribution posterior;
  at::Tensor image_m11, pixel_mask, latent_mask;
  if (has_image) {
    image_m11 = req.init_image.to(f32) * 2 - 1;
    posterior = model.vae->encode(image_m11);
  }
  if (req.mask.defined()) {
    pixel_mask = req.mask.to(f32).gt(0.5).to(torch::kFloat);
    latent_mask = torch::max_pool2d(pixel_mask, {scale, scale}, {scale, scale});  // [1, 1, h, w]
  }

  std::vector<at::Tensor> images, latents_out;
  for (int i = 0; i < req.n; ++i) {
    auto run = SdScheduler::create(sched_config, req.sampler, req.steps);
    auto& sched = *run;
    const int total = int(sched.timesteps().size());
    at::Tensor noise = req.init_noise.defined() ? req.init_noise.slice(0, i, i + 1).to(f32)
                                                : sd_noise(req.seed, i, 0, lc, lh, lw).to(device);
    at::Tensor image_latents;
    if (has_image) {
      at::Tensor enc = req.encode_noise.defined() ? req.encode_noise.slice(0, i, i + 1).to(f32)
                                                  : sd_noise(req.seed, i, 1, lc, lh, lw).to(device);
      image_latents = posterior.sample(enc) * model.vae->config().scaling_factor;
    }
    at::Tensor x;
    if (noised_start) {
      sched.set_begin_index(t_start);
      x = sched.add_noise(image_latents, noise, t_start);
    } else {
      x = noise * double(sched.init_noise_sigma());
    }
    const int first = sched.step_index();
    while (sched.step_index() < total) {
      if (cancel && cancel->load()) return cancelled("generation cancelled");
      const int s = sched.step_index();
      const double t = sched.timesteps()[size_t(s)];
      auto x_in = sched.scale_model_input(x);
      auto batch = guided ? torch::cat({x_in, x_in}, 0) : x_in;
      auto out = model.unet->forward(batch, torch::scalar_tensor(t, f32), context).to(torch::kFloat);
      if (guided) {
        auto uncond = out.slice(0, 0, 1), cond = out.slice(0, 1, 2);
        out = uncond + req.guidance * (cond - uncond);
      }
      at::Tensor step_noise;
      if (sched.needs_noise()) step_noise = sd_noise(req.seed, i, 2 + s, lc, lh, lw).to(device);
      x = sched.step(out, x, step_noise).prev_sample;
      if (latent_mask.defined()) {
        // Known latents, noised to the level the next step starts from, outside the mask.
        at::Tensor known = s + 1 < total ? sched.add_noise(image_latents, noise, s + 1) : image_latents;
        x = (1 - latent_mask) * known + latent_mask * x;
      }
      if (on_step) on_step(i, s, x);
      if (progress) progress(i, s + 1 - first, total - first);
    }
    result.steps_run = total - first;
    at::Tensor decoded = req.decoder == SdDecoder::kTaesd ? model.taesd->decode(x) : model.vae->decode(x);
    at::Tensor img = vae_output_to_unit_range(decoded.to(torch::kFloat));
    if (pixel_mask.defined()) img = pixel_mask * img + (1 - pixel_mask) * req.init_image.to(f32);
    images.push_back(img);
    latents_out.push_back(x);
  }
  result.images = torch::cat(images, 0);
  result.latents = torch::cat(latents_out, 0);
  return result;
}

}  // namespace pictor::engine::sd
