#pragma once
// The engine's public face (no torch here): load a model by name or path, generate images.
// Everything torch-related stays behind this interface; exceptions from libtorch are caught at
// this boundary and returned as Status.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/image.h"
#include "core/status.h"
#include "world/scene.h"

namespace pictor::engine {

enum class Quality { kLow, kMedium, kHigh, kAuto };
Result<Quality> parse_quality(const std::string& s);  // low | medium | high | auto
const char* quality_name(Quality q);

struct GenerateRequest {
  std::string prompt;
  std::string negative_prompt;
  int n = 1;                     // images, 1–10
  int width = 0, height = 0;     // 0 = the model's native size
  Quality quality = Quality::kMedium;
  int steps = 0;                 // 0 = from quality
  double guidance = -1;          // < 0 = model default
  uint64_t seed = 0;
  // Image inputs (edits): first image is the one edited; mask: alpha 0 = area to change.
  std::vector<Image> images;
  std::optional<Image> mask;
  double strength = -1;          // image-to-image strength in (0, 1]; < 0 = instruction edit
  // Streaming previews: `previews` estimates of each final image, spread evenly over the sampler
  // steps, go to on_preview(image, index 0..previews-1, native-size RGB) as they are made.
  int previews = 0;
  std::function<void(int image, int index, const Image& preview)> on_preview;
  // Sampler by name ("euler", "euler_a", "dpmpp_2m", "dpmpp_2m_karras", "lcm"); "" = the model's
  // default. Decoder "vae" | "taesd"; "" = from quality. (Stable-Diffusion models.)
  std::string sampler;
  std::string decoder;
  // Initial unit-variance latent noise, row-major with shape init_noise_shape ([n, 4, h, w] for
  // SD: text-to-image starts from it times the sampler's initial sigma, image-to-image noises the
  // encoded image with it); empty = seeded noise. (Stable-Diffusion models.)
  std::vector<float> init_noise;
  std::vector<int64_t> init_noise_shape;
  // Also return the decoded images as floats (GenerateResult::tensor).
  bool return_tensor = false;
  // A layout-grounded pictor-mini only: run the layout planner alone and return its plans
  // (GenerateResult::layouts, no images), to tell planning errors from drawing errors.
  bool plan_only = false;
};

struct GenerateResult {
  std::vector<Image> images;
  std::vector<std::string> warnings;  // unknown words, upsampling, truncation
  int steps = 0;
  double guidance = 0;
  double seconds = 0;                 // compute time of this request
  // With return_tensor: the decoded images before 8-bit conversion and resizing, [n, 3, H, W]
  // row-major in [0, 1] (tensor_shape), at the model's working size.
  std::vector<float> tensor;
  std::vector<int64_t> tensor_shape;
  // A layout-grounded pictor-mini's plan per image (what its layout planner drew), else empty.
  std::vector<world::Scene> layouts;
};

// step: 1..total, called after each sampler step of each image (image: 0-based).
using ProgressFn = std::function<void(int image, int step, int total)>;

struct ModelInfo {
  std::string name;        // "pictor-mini"
  std::string family;      // "pictor-mini", "sd-turbo", …
  std::string path;        // weights file or folder
  int native_width = 0, native_height = 0;
  bool supports_edits = false;
  std::string compute;     // "cpu/fp32"
  double load_seconds = 0;
};

struct LoadOptions {
  int threads = 0;               // 0 = libtorch default
  std::string dtype = "auto";    // auto | fp32 | bf16
};

class Engine {
 public:
  virtual ~Engine() = default;
  // name ("pictor-mini") or a path to a weights file / model folder.
  static Result<std::unique_ptr<Engine>> load(const std::string& model, const LoadOptions& opts = {});
  virtual const ModelInfo& info() const = 0;
  virtual Result<GenerateResult> generate(const GenerateRequest& req, const ProgressFn& progress = {},
                                          const std::atomic<bool>* cancel = nullptr) = 0;
  // Steps used for a quality level when the request does not set steps.
  virtual int steps_for(Quality q) const = 0;
};

// Where named models are looked up: $PICTOR_MODELS, then <install>/models, then the source tree's
// models/. Returns the weights path for a name or not_found listing the places searched.
Result<std::string> resolve_model_path(const std::string& name_or_path);
std::vector<std::string> model_search_dirs();

// Validates fields common to every model (prompt, n, sizes, steps, guidance).
Status validate_request(const GenerateRequest& req);

}  // namespace pictor::engine
