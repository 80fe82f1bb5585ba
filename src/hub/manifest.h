#pragma once
// The models `pictor pull` knows by name: which hub repository and which of its files make a model
// the engine can load (docs/cli.md, "pictor pull"). Torch-free.
#include <string>
#include <vector>

#include "core/status.h"

namespace pictor::hub {

struct HubFile {
  std::string remote;  // path inside the repository, e.g. "unet/diffusion_pytorch_model.fp16.safetensors"
  std::string local;   // path inside the model folder, e.g. "unet/diffusion_pytorch_model.safetensors"
};

struct HubModel {
  std::string name;         // "sd-turbo": also the folder name under the models directory
  std::string repo;         // "stabilityai/sd-turbo"
  std::string description;  // one line for --help and errors
  // In download order. The last file is the one that makes the folder a model to the engine
  // (model_index.json for a pipeline, config.json for TAESD), so an interrupted pull never leaves
  // a folder that looks installed but lacks weights.
  std::vector<HubFile> files;
};

// The built-in manifests: sd-turbo, sd-1.5, taesd.
const std::vector<HubModel>& known_models();
// The manifest for `name`, or kInvalidArgument naming the known ones.
Result<HubModel> find_model(const std::string& name);

}  // namespace pictor::hub
