// pictor generate "PROMPT": text to image with the chosen model.
#include <memory>

#include "app/cli_util.h"
#include "app/commands.h"
#include "core/progress.h"

namespace pictor::app {

namespace {

struct GenerateArgs {
  std::string prompt;
  GenerationFlags flags;
};

int run_generate(const GenerateArgs& a) {
  engine::GenerateRequest req;
  codecs::ImageFormat format;
  if (auto st = a.flags.to_request(a.prompt, req, format); !st.is_ok()) return fail(st);
  return run_generation(a.flags, req, format, "generate");
}

}  // namespace

Command add_generate_command(CLI::App& root) {
  auto args = std::make_shared<GenerateArgs>();
  auto* cmd = root.add_subcommand("generate", "generate images from a text prompt");
  cmd->add_option("prompt", args->prompt, "what to draw, e.g. \"two red circles above a blue square\"")->required();
  args->flags.add_to(*cmd);
  return {cmd, [args] { return run_generate(*args); }};
}

}  // namespace pictor::app
