#pragma once
// Engine implementation for Stable-Diffusion models (SD 1.x, SD 2.x, SD-Turbo): diffusers
// pipeline folders, and single-file checkpoints where that loader is built in. Quality → steps,
// sampler and decoder: docs/models/sd.md, "Engine".
#include <memory>
#include <string>

#include "engine/engine.h"

namespace pictor::engine {

// `path`: a diffusers folder (model_index.json naming StableDiffusionPipeline).
Result<std::unique_ptr<Engine>> load_sd_engine(const std::string& path, const LoadOptions& opts);
// `path`: a single-file checkpoint in the original LDM key naming (model.diffusion_model.*, …).
Result<std::unique_ptr<Engine>> load_sd_single_file_engine(const std::string& path, const LoadOptions& opts);

}  // namespace pictor::engine
