// pictor models: what is installed where.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "app/cli_util.h"
#include "app/commands.h"
#include "engine/weights/safetensors.h"

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
      const fs::path file = entry.path() / (name + ".safetensors");
      if (!entry.is_directory() || !fs::exists(file)) continue;
      ++found;
      std::printf("%-16s %s\n", name.c_str(), file.c_str());
      auto st = weights::SafetensorsFile::open(file.string());
      if (!st.is_ok()) {
        std::printf("  unreadable: %s\n", st.status().message().c_str());
        continue;
      }
      const auto& meta = (*st)->metadata();
      auto get = [&](const char* k) { auto it = meta.find(k); return it == meta.end() ? std::string("?") : it->second; };
      if (meta.count("train.step"))
        std::printf("  trained %s steps, %s samples, %.1f h\n", get("train.step").c_str(),
                    get("train.samples").c_str(), std::atof(get("train.seconds").c_str()) / 3600.0);
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
