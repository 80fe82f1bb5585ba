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
  const auto outputs = numbered_outputs(a.flags.output, req.n);
  for (const auto& path : outputs)
    if (auto st = check_writable(path); !st.is_ok()) return fail(st);

  engine::LoadOptions load;
  load.threads = a.flags.threads;
  load.dtype = a.flags.dtype;
  auto engine = engine::Engine::load(a.flags.model, load);
  if (!engine.is_ok()) return fail(engine.status());

  const int steps = req.steps > 0 ? req.steps : (*engine)->steps_for(req.quality);
  ProgressBar bar("generate", long(steps) * req.n);
  auto progress = [&](int image, int step, int total) { bar.update(long(image) * total + step); };
  auto result = (*engine)->generate(req, progress);
  bar.finish();
  if (!result.is_ok()) return fail(result.status());
  for (const auto& w : result->warnings) warn(w);

  for (size_t i = 0; i < result->images.size(); ++i) {
    auto bytes = codecs::encode_image(result->images[i], format,
                                      a.flags.compression >= 0 ? a.flags.compression : codecs::kDefaultCompression);
    if (!bytes.is_ok()) return fail(bytes.status());
    if (auto st = codecs::write_file_atomic(outputs[i], *bytes); !st.is_ok()) return fail(st);
  }
  const auto& img = result->images[0];
  std::fprintf(stderr, "wrote %s%s (%dx%d, seed %llu, %d steps, guidance %.1f, %.2f s)\n",
               outputs[0].c_str(), outputs.size() > 1 ? " …" : "", img.width, img.height,
               (unsigned long long)req.seed, result->steps, result->guidance, result->seconds);
  return 0;
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
