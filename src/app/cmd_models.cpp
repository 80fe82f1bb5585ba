// pictor models: what is installed where.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "app/cli_util.h"
#include "app/commands.h"

namespace pictor::app {

namespace {

int run_models() {
  namespace fs = std::filesystem;
  int found = 0;
  std::error_code ec;
  for (const auto& dir : engine::model_search_dirs()) {
    if (!fs::is_directory(dir, ec)) continue;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      auto path = engine::resolve_model_path((fs::path(dir) / name).string());
      if (entry.is_directory() && fs::exists(entry.path() / (name + ".safetensors"))) {
        std::printf("%-16s %s\n", name.c_str(), (entry.path() / (name + ".safetensors")).c_str());
        ++found;
      }
    }
  }
  if (!found) std::fprintf(stderr, "no models found (searched PICTOR_MODELS and the models/ folders)\n");
  return 0;
}

}  // namespace

Command add_models_command(CLI::App& root) {
  auto* cmd = root.add_subcommand("models", "list installed models and where they are");
  return {cmd, [] { return run_models(); }};
}

}  // namespace pictor::app
