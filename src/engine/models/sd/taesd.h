#pragma once
// TAESD: the tiny distilled Stable-Diffusion autoencoder (diffusers AutoencoderTiny v0.25).
// Child modules use the diffusers keys "encoder.layers.N.…" / "decoder.layers.N.…" (N counts
// every layer of the sequential stacks, parameter-free ReLU/Upsample entries included), so a
// diffusers taesd/diffusion_pytorch_model.safetensors loads strictly by name.
//
// TAESD works directly on *pipeline* latents (SD latents already multiplied by the VAE's 0.18215):
// its own scaling_factor is 1.0, and decode()/encode_latents() apply it the way the pipeline does
// (decode(latents) = raw decode of latents / scaling_factor). Images are in [-1, 1] on both sides
// (diffusers maps TAESD's native [0, 1] in and out).
// latent_magnitude / latent_shift do not enter encode or decode: as in diffusers they are only
// used by scale_latents()/unscale_latents(), which map latents to [0, 1] for storing them as
// 8-bit images and back.
#include <torch/nn/module.h>

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace pictor::engine::sd {

struct AutoencoderTinyConfig {
  int64_t in_channels = 3;
  int64_t out_channels = 3;
  int64_t latent_channels = 4;
  std::vector<int64_t> encoder_block_out_channels = {64, 64, 64, 64};
  std::vector<int64_t> decoder_block_out_channels = {64, 64, 64, 64};
  std::vector<int64_t> num_encoder_blocks = {1, 3, 3, 3};
  std::vector<int64_t> num_decoder_blocks = {3, 3, 3, 1};
  int64_t upsampling_scaling_factor = 2;
  double latent_magnitude = 3.0;
  double latent_shift = 0.5;
  double scaling_factor = 1.0;

  // taesd/config.json; absent keys take diffusers' defaults (above). act_fn must be "relu".
  // diffusers ignores a "block_out_channels" key (save_pretrained writes one); so does this.
  static Result<AutoencoderTinyConfig> from_json(const std::string& json);
  static Result<AutoencoderTinyConfig> load(const std::string& config_json_path);
};

class TinyStackImpl;  // defined in taesd.cpp

class AutoencoderTinyImpl : public torch::nn::Module {
 public:
  explicit AutoencoderTinyImpl(const AutoencoderTinyConfig& c);
  // image: [N, 3, H, W] in [-1, 1] → latents [N, L, H/f, W/f] (f = 2^(stages - 1), 8 for SD)
  // (diffusers taesd.encode(image).latents; pipeline latents, since scaling_factor is 1)
  at::Tensor encode(const at::Tensor& image);
  // latents: [N, L, h, w] → image [N, 3, f*h, f*w] in about [-1, 1], not clamped
  // (diffusers taesd.decode(latents).sample)
  at::Tensor decode_unscaled(const at::Tensor& latents);
  // latents: [N, L, h, w] pipeline latents → decode_unscaled(latents / scaling_factor)
  at::Tensor decode(const at::Tensor& latents);
  // latents: [N, L, h, w] → [0, 1]: latents / (2 * latent_magnitude) + latent_shift, clamped
  at::Tensor scale_latents(const at::Tensor& latents) const;
  // x: [N, L, h, w] in [0, 1] → latents: (x - latent_shift) * 2 * latent_magnitude
  at::Tensor unscale_latents(const at::Tensor& x) const;
  // Inference only: every convolution multiplies in bf16 (weights copied once; call again after
  // loading), and the decoder's activations are bf16 between layers (the tanh clamp before and
  // the image returned fp32). The encoder keeps fp32 activations.
  void set_bf16(bool on);
  const AutoencoderTinyConfig& config() const { return config_; }

 private:
  AutoencoderTinyConfig config_;
  bool bf16_ = false;
  std::shared_ptr<TinyStackImpl> encoder_, decoder_;
};
TORCH_MODULE(AutoencoderTiny);

// A diffusers AutoencoderTiny folder: config.json + diffusion_pytorch_model.safetensors, loaded
// strictly (one error lists every missing, unexpected and mis-shaped tensor).
Result<AutoencoderTiny> load_autoencoder_tiny(const std::string& folder);

}  // namespace pictor::engine::sd
