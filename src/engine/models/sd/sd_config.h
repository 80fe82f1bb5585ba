#pragma once
// Configs of the Stable-Diffusion text encoder and UNet, read from a diffusers folder's
// config.json (text_encoder/config.json, unet/config.json). Keys absent from the file take the
// library defaults (transformers CLIPTextConfig, diffusers UNet2DConditionModel v0.25), so older
// SD 1.x configs that predate a key load as the libraries load them. Options that change the
// architecture in ways this port does not implement are refused with kUnsupported, naming the key.
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace pictor::engine::sd {

// Reads a whole text file (config.json). NotFound / IoError name the path.
Result<std::string> read_text_file(const std::string& path);

enum class ClipActivation { kQuickGelu, kGelu, kGeluTanh };

struct ClipTextConfig {
  int64_t hidden_size = 512;
  int64_t num_layers = 12;
  int64_t num_heads = 8;
  int64_t intermediate_size = 2048;
  ClipActivation act = ClipActivation::kQuickGelu;  // "quick_gelu" (SD 1.x), "gelu" (SD 2.x)
  double layer_norm_eps = 1e-5;
  int64_t max_positions = 77;
  int64_t vocab_size = 49408;
  int64_t bos_token_id = 49406;
  int64_t eos_token_id = 49407;  // 2 (legacy SD configs) means: pool at argmax(input_ids)
  int64_t pad_token_id = 1;

  // A CLIPTextConfig JSON object, or a full CLIPConfig with a "text_config" member.
  static Result<ClipTextConfig> from_json(const std::string& json);
  static Result<ClipTextConfig> load(const std::string& config_json_path);
};

enum class DownBlockType { kCrossAttnDown, kDown };
enum class UpBlockType { kCrossAttnUp, kUp };

struct UNet2DConfig {
  int64_t in_channels = 4;
  int64_t out_channels = 4;
  int64_t sample_size = 64;  // latent size the model was trained at (informational)
  bool center_input_sample = false;
  bool flip_sin_to_cos = true;
  double freq_shift = 0;
  std::vector<DownBlockType> down_blocks;   // finest first
  std::vector<UpBlockType> up_blocks;       // coarsest first
  bool mid_block = true;                    // UNetMidBlock2DCrossAttn (false: mid_block_type null)
  std::vector<int64_t> block_out_channels;  // per down block
  std::vector<int64_t> layers_per_block;    // per down block (up blocks have one more)
  // Attention heads per down block. diffusers' naming quirk: when num_attention_heads is null,
  // the config's attention_head_dim (int or list) is the number of heads, not the head size.
  std::vector<int64_t> num_heads;
  std::vector<int64_t> transformer_layers;   // transformer_layers_per_block, per down block
  std::vector<int64_t> cross_attention_dim;  // per down block
  int64_t downsample_padding = 1;
  double mid_block_scale_factor = 1;
  int64_t norm_num_groups = 32;
  double norm_eps = 1e-5;
  bool use_linear_projection = false;
  bool upcast_attention = false;
  int64_t time_embed_dim = 0;  // time_embedding_dim, or block_out_channels[0] * 4

  static Result<UNet2DConfig> from_json(const std::string& json);
  static Result<UNet2DConfig> load(const std::string& config_json_path);
};

}  // namespace pictor::engine::sd
