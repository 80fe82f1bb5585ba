#pragma once
// A loaded Stable-Diffusion model (engine-internal): tokenizer, text encoder, UNet, VAE, the
// optional TAESD and the scheduler config, as the pipelines use them (docs/models/sd.md,
// "Pipelines"). Loaded from a diffusers pipeline folder (model_index.json naming
// StableDiffusionPipeline) or built from configs with random weights (pictor bench).
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/models/sd/autoencoder_kl.h"
#include "engine/models/sd/clip_text.h"
#include "engine/models/sd/taesd.h"
#include "engine/models/sd/unet2d.h"
#include "engine/samplers/discrete_schedule.h"
#include "engine/tokenizers/clip_tokenizer.h"

namespace pictor::engine::sd {

struct SdModel {
  std::optional<ClipTokenizer> tokenizer;
  ClipTextModel text_encoder{nullptr};
  UNet2DConditionModel unet{nullptr};
  AutoencoderKL vae{nullptr};
  AutoencoderTiny taesd{nullptr};  // null when the model has no taesd/ folder
  DiscreteScheduleConfig scheduler;
  std::string scheduler_class;     // "EulerDiscreteScheduler", … (model_index.json / scheduler config)
  std::string folder;              // where it was loaded from
  std::string taesd_folder;        // "" without TAESD
  // Latent pixels → image pixels (8 for every SD VAE) and the native image side (sample_size · 8).
  int64_t vae_scale() const { return vae->config().downscale(); }
  int64_t native_size() const { return unet->config().sample_size * vae_scale(); }
  // SD-Turbo-like: trailing timestep spacing (the distilled 1–4 step models).
  bool turbo_like() const { return scheduler.timestep_spacing == TimestepSpacing::kTrailing; }
};

// Whether `folder` is a diffusers Stable-Diffusion pipeline folder (model_index.json present).
bool is_diffusers_folder(const std::string& folder);

// Loads <folder>/{tokenizer,text_encoder,unet,vae,scheduler}, and TAESD from <folder>/taesd or a
// sibling taesd/ folder when present. Errors name the folder and what is missing:
// not a pipeline folder (kInvalidArgument), another pipeline class (kUnsupported), missing
// tokenizer files (kNotFound), weights that do not match (kCorruptData).
Result<SdModel> load_sd_folder(const std::string& folder);

// The TAESD next to a model: <folder>/taesd, then <folder>/../taesd; "" when neither has a config.
std::string find_taesd_folder(const std::string& model_folder);

}  // namespace pictor::engine::sd

namespace pictor::engine::sd {

// A single-file checkpoint (original LDM key naming), with the tokenizer from <file's folder>/
// tokenizer, the scheduler from <file's folder>/scheduler/scheduler_config.json when present
// (else the SD training schedule: scaled_linear 0.00085–0.012, leading spacing, steps_offset 1,
// epsilon) and TAESD as for folders. kUnsupported when this build has no single-file loader.
Result<SdModel> load_sd_single_file(const std::string& path);

}  // namespace pictor::engine::sd
