#pragma once
// Key names of single-file Stable-Diffusion checkpoints in the original LDM / Stability naming,
// mapped from the diffusers / transformers names under which the engine's modules register their
// parameters (engine/models/sd/{clip_text,unet2d,autoencoder_kl}.h). The maps go diffusers name →
// original key (plus how to take the tensor), so a strict loader can walk the module's parameters
// and name the *original* key of anything missing or mis-shaped. docs/models/sd.md, "Single-file
// checkpoints", lists the renames.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/models/sd/sd_config.h"

namespace pictor::engine::sd::ldm {

inline constexpr const char* kUNetPrefix = "model.diffusion_model.";
inline constexpr const char* kVaePrefix = "first_stage_model.";
inline constexpr const char* kClipPrefix = "cond_stage_model.transformer.";  // SD 1.x (HF CLIP names)
inline constexpr const char* kOpenClipPrefix = "cond_stage_model.model.";    // SD 2.x (OpenCLIP)

// Where one diffusers parameter comes from in the checkpoint.
struct Source {
  enum class Kind {
    kSame,       // the tensor as stored
    kSqueeze,    // drop trailing size-1 dims: a 1x1 conv [C, C, 1, 1] → linear [C, C], [C, 1, 1] → [C]
    kChunk,      // part `chunk` of `chunks` equal parts along dim 0 (OpenCLIP's fused in_proj q/k/v)
  };
  std::string key;  // full original key, prefix included
  Kind kind = Kind::kSame;
  int chunk = 0;
  int chunks = 1;
};

// UNet: conv_in/time_embedding/down_blocks/mid_block/up_blocks/conv_norm_out/conv_out →
// input_blocks.K.{0,1}/time_embed/middle_block/output_blocks.K.{0,1,2}/out. The block indices
// depend on layers_per_block and on which blocks have attention, hence the config.
class UNetKeyMap {
 public:
  explicit UNetKeyMap(const UNet2DConfig& c);
  // nullopt: a name this map does not know.
  std::optional<Source> operator()(const std::string& diffusers_name) const;

 private:
  std::vector<std::vector<int64_t>> down_resnet_, up_resnet_;  // [block][layer] → input/output block
  std::vector<int64_t> downsampler_, upsampler_, upsampler_slot_;  // -1: none
};

// VAE (AutoencoderKL): encoder/decoder down/up/mid renames; the decoder's up blocks are numbered
// the other way round (diffusers up_blocks.0 = LDM up.{n-1}); mid attention group_norm/to_q/to_k/
// to_v/to_out.0 → mid.attn_1.norm/q/k/v/proj_out, stored as 1x1 convs (kSqueeze).
std::optional<Source> vae_key(const std::string& diffusers_name, size_t num_blocks);

// SD 1.x text encoder: the checkpoint already holds transformers' names under
// cond_stage_model.transformer. (very old files lack the "text_model." level: text_model_infix false).
std::optional<Source> clip_key(const std::string& diffusers_name, bool text_model_infix = true);

// SD 2.x OpenCLIP text encoder: token_embedding, positional_embedding, ln_final,
// transformer.resblocks.N.{ln_1, ln_2, attn.in_proj_* (q/k/v fused), attn.out_proj, mlp.c_fc, mlp.c_proj}.
std::optional<Source> open_clip_key(const std::string& diffusers_name);

}  // namespace pictor::engine::sd::ldm
