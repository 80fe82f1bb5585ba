#pragma once
// Single-file Stable-Diffusion checkpoints (".safetensors" in the original LDM / Stability key
// naming: model.diffusion_model.*, first_stage_model.*, cond_stage_model.*), F32 / F16 / BF16,
// loaded into the diffusers-named modules (ClipTextModel, UNet2DConditionModel, AutoencoderKL).
//
//   auto m = load_single_file("models/v2-1_512-ema-pruned.safetensors");
//   // m->text_encoder, m->unet, m->vae; ClipTokenizer::load(m->tokenizer_folder)
//
// The family (SD 1.x: CLIP ViT-L text, context 768; SD 2.x: OpenCLIP text, context 1024) and the
// module configs are detected from the tensor names and shapes; what the weights cannot tell
// (attention heads, group-norm groups, the VAE scaling factor, …) is the LDM code's or the
// family's value, or comes from optional config hints. docs/models/sd.md, "Single-file
// checkpoints", lists exactly what is inferred and what is assumed. Name maps: ldm_keys.h.
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/models/sd/autoencoder_kl.h"
#include "engine/models/sd/clip_text.h"
#include "engine/models/sd/sd_config.h"
#include "engine/models/sd/unet2d.h"
#include "engine/weights/safetensors.h"

namespace pictor::engine::sd {

enum class SdFamily {
  kSd1,  // SD 1.x: cond_stage_model.transformer.text_model.* (CLIP ViT-L/14), quick_gelu, 8 heads
  kSd2,  // SD 2.x / SD-Turbo: cond_stage_model.model.* (OpenCLIP ViT-H/14), gelu, head size 64
};
const char* family_name(SdFamily f);  // "SD 1.x" / "SD 2.x"

// Configs to use instead of the assumed values (e.g. those of a diffusers folder of the same
// model). Their sizes must agree with the checkpoint's shapes (checked, naming the key).
struct SingleFileHints {
  std::optional<UNet2DConfig> unet;
  std::optional<ClipTextConfig> text;
  std::optional<AutoencoderKLConfig> vae;
  // Reads <folder>/{unet,text_encoder,vae}/config.json, each only where present.
  static Result<SingleFileHints> from_diffusers_folder(const std::string& folder);
};

struct SingleFileConfig {
  SdFamily family = SdFamily::kSd1;
  UNet2DConfig unet;
  ClipTextConfig text;
  AutoencoderKLConfig vae;
  // Text-encoder layers stored in the file. text.num_layers is one less for SD 2.x without a hint:
  // the LDM "penultimate" layer, as diffusers' SD 2 folders store it (the last block is ignored).
  int64_t text_layers_in_file = 0;
  bool text_position_ids = false;  // SD 1.x files that store text_model.embeddings.position_ids
  bool text_model_infix = true;    // SD 1.x: "cond_stage_model.transformer.text_model." (not very old "transformer.")
  // One line per value taken from the LDM code, the family or a hint rather than from shapes,
  // e.g. "unet.norm_num_groups = 32 (LDM GroupNorm32)".
  std::vector<std::string> assumed;
};

// Family and configs from the names and shapes. Errors: not a Stable-Diffusion checkpoint
// (kInvalidArgument, saying what the file looks like), SDXL / SD 3 / Flux / unCLIP / upscaler
// (kUnsupported, "… is not supported yet"), a component missing (kCorruptData), sizes that need a
// hint (kInvalidArgument, listing them), a hint that disagrees with the shapes (kInvalidArgument).
Result<SingleFileConfig> detect_single_file(const weights::SafetensorsFile& file,
                                            const SingleFileHints& hints = {});

struct SingleFileOptions {
  SingleFileHints hints;
  // Single-file checkpoints carry no tokenizer. Empty: "<checkpoint's folder>/tokenizer". The
  // folder must hold vocab.json and merges.txt (a diffusers tokenizer/ folder of the same family).
  std::string tokenizer_folder;
  bool require_tokenizer = true;
};

struct SingleFileModel {
  SingleFileConfig config;
  ClipTextModel text_encoder{nullptr};
  UNet2DConditionModel unet{nullptr};
  AutoencoderKL vae{nullptr};
  std::string tokenizer_folder;  // checked to hold vocab.json and merges.txt ("" if not required)
};

// Detects, builds and loads all three modules (fp32 weights, eval mode). Loading is strict over
// the three prefixes: one kCorruptData error lists every missing, unexpected and mis-shaped
// tensor by its *original* key. Other top-level tensors (LDM's betas / alphas_cumprod, model_ema.*,
// …) and known extras (OpenCLIP text_projection / logit_scale, the unused last SD 2.x text block)
// are ignored.
Result<SingleFileModel> load_single_file(const std::string& path, const SingleFileOptions& options = {});

// The strict load alone, into modules built from `config` (exposed for tests and tools).
Status load_single_file_weights(const weights::SafetensorsFile& file, const SingleFileConfig& config,
                                ClipTextModelImpl& text, UNet2DConditionModelImpl& unet,
                                AutoencoderKLImpl& vae);

}  // namespace pictor::engine::sd
