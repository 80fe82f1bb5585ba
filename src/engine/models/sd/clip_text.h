#pragma once
// CLIP text encoder of Stable Diffusion (transformers' CLIPTextModel, as of 4.37): token +
// position embeddings, pre-LN transformer layers with a causal mask, final layer norm. The
// module tree is named like the checkpoint ("text_model.encoder.layers.0.self_attn.q_proj.weight"),
// so load_module_strict loads a diffusers text_encoder/model.safetensors by name.
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/models/sd/sd_config.h"

namespace pictor::engine::sd {

struct ClipTextOutput {
  at::Tensor last_hidden_state;  // [N, L, D]: the last layer through final_layer_norm
  at::Tensor pooled;             // [N, D]: last_hidden_state at the end-of-text token
  // [N, L, D]: final_layer_norm(hidden_states[-(1 + clip_skip)]); equals last_hidden_state when
  // clip_skip = 0. clip_skip = 1 is the "penultimate layer" of SD 2.x (LDM FrozenOpenCLIPEmbedder)
  // and diffusers' encode_prompt(clip_skip=1).
  at::Tensor skip_hidden_state;
  // With keep_hidden_states: the embeddings, then each layer's output (no final norm): L+1 entries.
  std::vector<at::Tensor> hidden_states;
};

class ClipTextTransformerImpl;  // "text_model", defined in clip_text.cpp

class ClipTextModelImpl : public torch::nn::Module {
 public:
  // position_ids_buffer: register "text_model.embeddings.position_ids" (older checkpoints store it).
  explicit ClipTextModelImpl(const ClipTextConfig& config, bool position_ids_buffer = false);
  // ids: [N, L] int64 with L <= max_positions. Only the causal mask, no padding mask (as the SD
  // pipelines call it). clip_skip in [0, num_layers).
  ClipTextOutput forward(const at::Tensor& ids, int64_t clip_skip = 0, bool keep_hidden_states = false);
  const ClipTextConfig& config() const { return config_; }
  // Casts the weights to `dtype` (kFloat or kBFloat16); layer norms stay fp32. Outputs are in `dtype`.
  void set_dtype(c10::ScalarType dtype);

 private:
  ClipTextConfig config_;
  std::shared_ptr<ClipTextTransformerImpl> text_model_;
};
TORCH_MODULE(ClipTextModel);

// Loads a diffusers/transformers text_encoder folder: config.json + model.safetensors, strictly
// by name (one error lists every missing, unexpected and mis-shaped tensor).
Result<ClipTextModel> load_clip_text_model(const std::string& folder);

}  // namespace pictor::engine::sd
