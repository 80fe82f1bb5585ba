#pragma once
// The Stable-Diffusion pipelines (engine-internal), after diffusers v0.25.1:
//  - text-to-image (StableDiffusionPipeline),
//  - image-to-image with a strength (StableDiffusionImg2ImgPipeline: the schedule is cut to its
//    last ⌊steps · strength⌋ steps, the VAE-encoded image is noised to the first of them),
//  - inpainting for ordinary 4-channel UNets (StableDiffusionInpaintPipeline's legacy path: after
//    every step the known latents, noised to the next timestep, are blended back outside the mask),
// with classifier-free guidance (an unconditional / negative-prompt pass only when guidance > 1),
// N images each from its own seeded noise (the same pixels whatever N, the batch layout or the
// thread count), the VAE or TAESD decoder, per-step progress and cancellation.
// docs/models/sd.md, "Pipelines".
#include <ATen/core/Tensor.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/pipelines/sd_model.h"
#include "engine/samplers/sd_scheduler.h"

namespace pictor::engine::sd {

enum class SdDecoder { kVae, kTaesd };

struct SdPipelineRequest {
  std::string prompt;
  std::string negative_prompt;  // used only when guidance > 1
  int n = 1;
  int width = 0, height = 0;    // pixels, multiples of the VAE scale (8); 0 = native
  int steps = 4;
  double guidance = 0;          // ≤ 1: no unconditional pass (SD-Turbo uses 0)
  SdSampler sampler = SdSampler::kEuler;
  bool karras = false;          // Karras sigmas (DPM++ 2M Karras; Euler too)
  SdDecoder decoder = SdDecoder::kVae;
  uint64_t seed = 0;
  // Image-to-image / inpainting: the input image [1, 3, height, width] in [0, 1].
  at::Tensor init_image;
  // Inpainting: [1, 1, height, width], 1 = repaint, 0 = keep (already converted from OpenAI's
  // alpha convention). With a mask the run starts from pure noise when strength is 1.
  at::Tensor mask;
  double strength = 1.0;        // (0, 1]; image-to-image and inpainting
  // Unit-variance noise [n, 4, h, w] (h = height / 8): text-to-image starts from it times
  // init_noise_sigma (diffusers' `latents` argument); image-to-image / inpainting noise the
  // encoded image with it. Undefined: seeded_noise(seed, image index).
  at::Tensor init_noise;
  // The noise of the VAE posterior sample of init_image, [n, 4, h, w]; undefined: seeded.
  at::Tensor encode_noise;
};

struct SdPipelineResult {
  at::Tensor images;   // [n, 3, height, width] float32 in [0, 1] (output_type="pt")
  at::Tensor latents;  // [n, 4, h, w] final pipeline latents (output_type="latent")
  std::vector<std::string> warnings;  // prompt truncation
  int steps_run = 0;                  // sampler steps per image (fewer than steps for img2img)
};

// image: 0-based; step: 1..total after each sampler step.
using SdProgressFn = std::function<void(int image, int step, int total)>;
// After each sampler step: image, 0-based step, the latents [1, 4, h, w] (diffusers'
// callback_on_step_end; for inpainting after the blend).
using SdStepHook = std::function<void(int image, int step, const at::Tensor& latents)>;

// Runs the pipeline. Checks the request against the model (sizes, strength, mask and noise
// shapes); cancellation between steps gives kCancelled. Exceptions from libtorch propagate
// (the engine catches them at its boundary).
Result<SdPipelineResult> run_sd_pipeline(SdModel& model, const SdPipelineRequest& req,
                                         const SdProgressFn& progress = {},
                                         const std::atomic<bool>* cancel = nullptr,
                                         const SdStepHook& on_step = {});

// The prompt embeddings: ids [1, 77] → last_hidden_state [1, 77, D] (diffusers encode_prompt,
// clip_skip None). `truncated` is set when the prompt had more than 75 tokens.
at::Tensor encode_sd_prompt(SdModel& model, const std::string& prompt, bool* truncated = nullptr);

// The seeded noise streams of one image of a request: purpose 0 = initial noise
// (= seeded_noise(seed, index)), 1 = VAE posterior sample, 2 + step = sampler step noise.
at::Tensor sd_noise(uint64_t seed, int64_t index, int64_t purpose, int64_t channels, int64_t height,
                    int64_t width);

}  // namespace pictor::engine::sd
