#pragma once
// pictor-mini weights files: one safetensors file holding the model tensors ("text.…", "unet.…")
// and metadata: pictor.family, pictor.config (JSON), pictor.vocab (JSON word list), and sampling
// defaults (pictor.guidance, pictor.guidance_max_t: guidance applies at t ≤ it, 1 = every step;
// pictor.shift, pictor.steps_low/medium/high).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/image.h"
#include "core/status.h"
#include "engine/models/pictor_mini.h"

namespace pictor::engine {

struct PictorMiniFile {
  PictorMini model{nullptr};
  std::vector<std::string> vocabulary;
  std::map<std::string, std::string> metadata;
};

Result<PictorMiniFile> load_pictor_mini(const std::string& path);
// Writes atomically. `dtype`: kFloat or kBFloat16 (shipping).
Status save_pictor_mini(PictorMini& model, const std::vector<std::string>& vocabulary,
                        const std::map<std::string, std::string>& metadata, c10::ScalarType dtype,
                        const std::string& path);

// Images ↔ tensors. Image (RGB) → [3, H, W] float in [−1, 1]; and back (values clamped).
at::Tensor image_to_tensor(const Image& image);
Image tensor_to_image(const at::Tensor& chw);

// Builds the UNet's 8-channel input. noisy: [N, 3, S, S]; source: [N, 3, S, S] in [−1, 1] or
// undefined (text-to-image); mask: [N, 1, S, S], 1 = change, or undefined (= change everywhere);
// has_source: [N] (1 = this sample's source is real) or undefined (= source.defined() for all).
at::Tensor pictor_mini_input(const at::Tensor& noisy, const at::Tensor& source, const at::Tensor& mask,
                             const at::Tensor& has_source = {});

}  // namespace pictor::engine
