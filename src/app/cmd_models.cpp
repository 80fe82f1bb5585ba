// pictor models: what is installed where, and what --model NAME loads.
#include <cstdio>
#include <string>

#include "app/cli_util.h"
#include "app/commands.h"
#include "hub/installed.h"
#include "hub/transfer_progress.h"

namespace pictor::app {

namespace {

int run_models() {
  const auto dirs = engine::model_search_dirs();
  const auto models = hub::list_installed(dirs);
  if (models.empty()) {
    std::string searched;
    for (const auto& d : dirs) searched += (searched.empty() ? "" : ", ") + d;
    std::fprintf(stderr, "no models found (searched %s); `pictor pull sd-turbo` downloads one\n", searched.c_str());
    return 0;
  }
  std::printf("%-16s %-12s %-17s %9s  %s\n", "NAME", "FAMILY", "FORMAT", "SIZE", "PATH");
  for (const auto& m : models) {
    std::printf("%-16s %-12s %-17s %9s  %s\n", m.name.c_str(), m.family.c_str(), m.format.c_str(),
                hub::format_bytes(m.bytes).c_str(), m.path.c_str());
    for (const auto& note : m.notes) std::printf("  %s\n", note.c_str());
  }
  return 0;
}

}  // namespace

Command add_models_command(CLI::App& root) {
  auto* cmd = root.add_subcommand("models", "list installed models and where they are");
  cmd->footer("\nSearched in order: $PICTOR_MODELS, <prefix>/share/pictor/models, the source tree's models/.\n"
              "Lists pictor-mini files (NAME/NAME.safetensors), Stable-Diffusion diffusers folders\n"
              "(model_index.json), single-file SD checkpoints (*.safetensors) and TAESD decoders.\n"
              "--model NAME loads the first one found under NAME. `pictor pull NAME` downloads more.");
  return {cmd, [] { return run_models(); }};
}

}  // namespace pictor::app
