#pragma once
// AutoencoderKL: the Stable-Diffusion VAE (diffusers AutoencoderKL v0.25, docs/models/sd.md).
// Child modules are registered under the diffusers checkpoint keys ("encoder.down_blocks.0.
// resnets.0.conv1.weight", "decoder.mid_block.attentions.0.to_q.weight", "quant_conv.weight", …),
// so a diffusers vae/diffusion_pytorch_model.safetensors loads strictly by name.
//
// Scaling: the *pipeline* latents are the VAE latents times `scaling_factor` (0.18215 for SD 1.x
// and 2.x). This class does that scaling itself at its two pipeline-facing entry points:
//   encode_latents(image)  = scaling_factor * posterior (mean, or mean + std * noise)
//   decode(latents)        = decode_unscaled(latents / scaling_factor)
// encode() and decode_unscaled() are the raw diffusers vae.encode(x).latent_dist / vae.decode(z).
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/models/sd/mixed_conv.h"

namespace pictor::engine::sd {

struct AutoencoderKLConfig {
  int64_t in_channels = 3;
  int64_t out_channels = 3;
  int64_t latent_channels = 4;
  std::vector<int64_t> block_out_channels = {64};  // finest first; one block per entry
  int64_t layers_per_block = 1;                    // encoder; the decoder has one more per block
  int64_t norm_num_groups = 32;
  double scaling_factor = 0.18215;
  bool force_upcast = true;             // diffusers: run in fp32 even when the pipeline is fp16
  bool mid_block_add_attention = true;  // later diffusers key; absent = true
  bool use_quant_conv = true;           // later diffusers keys; absent = true
  bool use_post_quant_conv = true;
  // Not a config.json key: detected from the weights by load_autoencoder_kl. The mid-block
  // attention registers the pre-0.14 diffusers names query/key/value/proj_attn instead of
  // to_q/to_k/to_v/to_out.0 (same shapes; diffusers renames them on load).
  bool legacy_attention_names = false;

  // Pixels per latent pixel along each side: 2^(blocks - 1).
  int64_t downscale() const { return int64_t(1) << (block_out_channels.size() - 1); }

  // vae/config.json. Absent keys take diffusers' defaults. Block types other than
  // DownEncoderBlock2D / UpDecoderBlock2D, an activation other than silu, or channel counts that
  // the group count does not divide are refused, naming the key.
  static Result<AutoencoderKLConfig> from_json(const std::string& json);
  static Result<AutoencoderKLConfig> load(const std::string& config_json_path);
};

// The diagonal Gaussian posterior (diffusers DiagonalGaussianDistribution). All [N, L, h, w],
// unscaled latents.
struct LatentDistribution {
  at::Tensor mean, logvar, std;  // logvar clamped to [-30, 20], std = exp(logvar / 2)
  // noise: [N, L, h, w] standard normal → mean + std * noise
  at::Tensor sample(const at::Tensor& noise) const;
};

class VaeEncoderImpl;  // defined in autoencoder_kl.cpp
class VaeDecoderImpl;

class AutoencoderKLImpl : public torch::nn::Module {
 public:
  explicit AutoencoderKLImpl(const AutoencoderKLConfig& c);
  // image: [N, 3, H, W] in [-1, 1], H and W multiples of f = downscale() → posterior over the
  // unscaled latents [N, L, H/f, W/f] (diffusers vae.encode(image).latent_dist)
  LatentDistribution encode(const at::Tensor& image);
  // image: [N, 3, H, W] in [-1, 1]; noise: [N, L, H/f, W/f] or undefined → pipeline latents
  // [N, L, H/f, W/f] = scaling_factor * (noise defined ? mean + std * noise : mean)
  at::Tensor encode_latents(const at::Tensor& image, const at::Tensor& noise = {});
  // z: [N, L, h, w] unscaled latents → image [N, 3, f*h, f*w], about [-1, 1], not clamped
  // (diffusers vae.decode(z).sample)
  at::Tensor decode_unscaled(const at::Tensor& z);
  // latents: [N, L, h, w] pipeline latents → decode_unscaled(latents / scaling_factor)
  at::Tensor decode(const at::Tensor& latents);
  // Inference only: every convolution multiplies in bf16 (weights copied once; call again after
  // loading), and the decoder's activations are bf16 between layers (group norm statistics and
  // the mid-block attention in fp32; the image returned fp32). The encoder keeps fp32 activations.
  void set_bf16(bool on);
  const AutoencoderKLConfig& config() const { return config_; }

 private:
  AutoencoderKLConfig config_;
  bool bf16_ = false;
  std::shared_ptr<VaeEncoderImpl> encoder_;
  std::shared_ptr<VaeDecoderImpl> decoder_;
  MixedConv2d quant_conv_{nullptr}, post_quant_conv_{nullptr};
};
TORCH_MODULE(AutoencoderKL);

// A diffusers AutoencoderKL folder: config.json + diffusion_pytorch_model.safetensors, loaded
// strictly (one error lists every missing, unexpected and mis-shaped tensor).
Result<AutoencoderKL> load_autoencoder_kl(const std::string& folder);

// x: [N, 3, H, W] decoder output in about [-1, 1] → [N, 3, H, W] in [0, 1] (x / 2 + 0.5, clamped),
// the pipeline's output_type="pt" image.
at::Tensor vae_output_to_unit_range(const at::Tensor& x);

}  // namespace pictor::engine::sd
