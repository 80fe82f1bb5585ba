#pragma once
// What `pictor models` lists: the models in the engine's search directories, told apart the way
// Engine::load tells them apart (docs/models/sd.md, "Engine"), from their config files and
// safetensors headers only, without loading weights. Torch-free.
#include <string>
#include <vector>

namespace pictor::hub {

struct InstalledModel {
  std::string name;    // what --model takes: the folder or file stem
  std::string family;  // "pictor-mini", "sd-turbo", "sd-1.x", "sd-2.x", "taesd", …
  std::string format;  // "pictor-mini file", "diffusers folder", "single file", "decoder", "partial"
  std::string path;
  long long bytes = 0;
  std::vector<std::string> notes;  // training metadata, problems, "shadowed by …"
};

// Every model found in `dirs`, in search order; a name found again in a later directory is listed
// with a note that the earlier one is what --model NAME loads.
std::vector<InstalledModel> list_installed(const std::vector<std::string>& dirs);

}  // namespace pictor::hub
