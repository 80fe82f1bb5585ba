#include "hub/manifest.h"

namespace pictor::hub {

namespace {

// A diffusers Stable-Diffusion pipeline with fp16 weight variants. The variants are saved under the
// plain names because the engine's VAE loader reads only vae/diffusion_pytorch_model.safetensors
// (the text encoder and UNet loaders would accept *.fp16.* too); the weights' dtype is in the
// safetensors header, so the name carries no information the loaders need. The safety checker and
// feature extractor are left out: the engine does not run them (1.2 GB for SD 1.5).
std::vector<HubFile> sd_pipeline_files() {
  return {
      {"scheduler/scheduler_config.json", "scheduler/scheduler_config.json"},
      {"tokenizer/vocab.json", "tokenizer/vocab.json"},
      {"tokenizer/merges.txt", "tokenizer/merges.txt"},
      {"tokenizer/tokenizer_config.json", "tokenizer/tokenizer_config.json"},
      {"tokenizer/special_tokens_map.json", "tokenizer/special_tokens_map.json"},
      {"text_encoder/config.json", "text_encoder/config.json"},
      {"text_encoder/model.fp16.safetensors", "text_encoder/model.safetensors"},
      {"vae/config.json", "vae/config.json"},
      {"vae/diffusion_pytorch_model.fp16.safetensors", "vae/diffusion_pytorch_model.safetensors"},
      {"unet/config.json", "unet/config.json"},
      {"unet/diffusion_pytorch_model.fp16.safetensors", "unet/diffusion_pytorch_model.safetensors"},
      {"model_index.json", "model_index.json"},  // last: marks the folder as a model
  };
}

}  // namespace

const std::vector<HubModel>& known_models() {
  static const std::vector<HubModel> models = {
      {"sd-turbo", "stabilityai/sd-turbo", "SD-Turbo (SD 2.1 distilled, 1-4 steps, 512x512), fp16, 2.6 GB",
       sd_pipeline_files()},
      {"sd-1.5", "stable-diffusion-v1-5/stable-diffusion-v1-5", "Stable Diffusion 1.5 (512x512), fp16, 2.1 GB",
       sd_pipeline_files()},
      {"taesd", "madebyollin/taesd",
       "TAESD, the tiny fast decoder for SD 1.x / 2.x latents, 10 MB (used when installed next to the model)",
       {{"diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.safetensors"},
        {"config.json", "config.json"}}},  // last: the engine looks for taesd/config.json
  };
  return models;
}

Result<HubModel> find_model(const std::string& name) {
  std::string names;
  for (const auto& m : known_models()) {
    if (m.name == name) return m;
    names += (names.empty() ? "" : ", ") + m.name;
  }
  return invalid_argument("unknown model '" + name + "' (pull knows: " + names + ")");
}

}  // namespace pictor::hub
