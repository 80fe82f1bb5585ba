#pragma once
// Shared pieces of the command line: the generation flags every generating command takes, error
// reporting (one line, non-zero exit) and output naming.
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "codecs/codecs.h"
#include "core/status.h"
#include "engine/engine.h"

namespace pictor::app {

// Exit codes: 0 ok, 1 runtime failure, 2 bad input / usage.
int exit_code(const Status& s);
// Prints "pictor: error: <message>" and returns the exit code.
int fail(const Status& s);
void warn(const std::string& message);

struct GenerationFlags {
  std::string model = "pictor-mini";
  long long seed = -1;  // -1 = random (printed)
  int n = 1;
  std::string quality = "medium";
  int steps = 0;
  double guidance = -1;
  std::string negative;
  std::string size;  // WxH, "" = native
  std::string format;
  int compression = -1;
  int threads = 0;
  std::string output = "out.png";
  std::string dtype = "auto";
  std::string sampler;      // "" = the model's (Stable Diffusion)
  std::string decoder;      // "" = from quality; vae | taesd (Stable Diffusion)
  std::string init_noise;   // .safetensors with tensor "latents" [n, 4, h, w]
  std::string save_tensor;  // .safetensors to write tensor "image" [n, 3, H, W] in [0, 1]
  bool show_plan = false;   // print each image's layout plan (layout-grounded models)

  void add_to(CLI::App& cmd);
  // Fills the engine request and the output format; validates what can be checked before loading.
  Status to_request(const std::string& prompt, engine::GenerateRequest& req,
                    codecs::ImageFormat& format) const;
};

// Loads the model, generates with a progress bar, writes the outputs (atomically, numbered when
// n > 1) and prints a one-line summary; returns the exit code.
int run_generation(const GenerationFlags& flags, const engine::GenerateRequest& req,
                   codecs::ImageFormat format, const char* label);

// Reads tensor `name` (F32, F16 or BF16) of a .safetensors file as floats and its shape.
Status read_float_tensor(const std::string& path, const std::string& name, std::vector<float>& values,
                         std::vector<int64_t>& shape);
// Writes one F32 tensor `name` to a .safetensors file (atomically).
Status write_float_tensor(const std::string& path, const std::string& name, const std::vector<float>& values,
                          const std::vector<int64_t>& shape);

// Parses "WxH" (also "auto" = native).
Status parse_size(const std::string& s, int& width, int& height);
// out.png with n = 3 → out-1.png, out-2.png, out-3.png
std::vector<std::string> numbered_outputs(const std::string& path, int n);
// Checks that the directory of `path` exists and is writable, before any work is done.
Status check_writable(const std::string& path);

}  // namespace pictor::app
