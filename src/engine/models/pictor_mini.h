#pragma once
// pictor-mini: the embedded default model (docs/models/pictor-mini.md). A closed-vocabulary text
// encoder and a pixel-space UNet with cross-attention, trained with rectified flow. One set of
// weights serves text-to-image and image+mask edits: the UNet always sees 8 input channels,
// [noisy image(3), source image(3), mask(1), has-source flag(1)]; text-to-image passes zeros for
// the source, ones for the mask and 0 for the flag.
// Checkpoint keys are the registered module names below ("text.…", "unet.…").
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <string>
#include <vector>

#include "core/status.h"
#include "engine/models/layout_planner.h"
#include "world/scene.h"

namespace pictor::engine {

struct PictorMiniConfig {
  int64_t image_size = 64;    // native resolution (square)
  int64_t in_channels = 8;    // see the file comment
  int64_t out_channels = 3;   // velocity in pixel space
  // The UNet works on patch×patch pixel blocks folded into channels (pixel unshuffle), so its
  // first level runs at image_size/patch: most of the cost of a full-resolution level is saved,
  // and the conv head unfolds the blocks again (docs/models/pictor-mini.md).
  int64_t patch = 2;
  std::vector<int64_t> channels = {64, 128, 256};  // per UNet level, finest first
  std::vector<int64_t> attention = {0, 1, 2};      // 0 none, 1 cross-attn, 2 self+cross
  int64_t head_dim = 32;
  int64_t time_dim = 256;
  int64_t text_dim = 192;
  int64_t text_layers = 3;
  int64_t text_heads = 4;
  int64_t max_tokens = 40;
  int64_t vocab_size = 0;  // tokenizer's size, set from the vocabulary
  // Layout grounding (docs/models/pictor-mini.md, "Design study"): 0 none (text only), 1 the
  // planned objects as extra cross-attention tokens, 2 the planned objects painted as a
  // layout map into the UNet's input. With 1 or 2 the file holds a layout planner ("planner.…").
  int64_t layout_mode = 0;
  int64_t layout_dim = 16;     // width of the kind/colour/size/background embeddings
  int64_t planner_dim = 128;
  int64_t planner_layers = 2;  // encoder layers, and as many decoder layers
  int64_t planner_heads = 4;
  // The planner's encoder adds a learned bias per head and word offset (clipped to ±8) to its
  // attention scores: word order ("a ring above a triangle" against "a triangle above a ring")
  // is what relations hinge on, and absolute positions alone left it unlearned (model card). 0 = off.
  int64_t planner_relative_positions = 0;

  std::string to_json() const;
  static Result<PictorMiniConfig> from_json(const std::string& json);
};

// Pre-LN transformer over the prompt tokens.
class TextEncoderImpl : public torch::nn::Module {
 public:
  explicit TextEncoderImpl(const PictorMiniConfig& c);
  // ids: [N, L] int64, pad: [N, L] bool (true = padding) → tokens [N, L, D], pooled [N, D]
  std::pair<at::Tensor, at::Tensor> forward(const at::Tensor& ids, const at::Tensor& pad);

 private:
  torch::nn::Embedding token_embedding_{nullptr};
  at::Tensor position_embedding_;
  torch::nn::ModuleList layers_;
  torch::nn::LayerNorm final_norm_{nullptr};
};
TORCH_MODULE(TextEncoder);

// The planned objects of a batch, as tensors (K = world::kMaxSceneObjects slots per row).
struct LayoutInput {
  at::Tensor kind;     // [N, K] int64, world::kNumKinds = empty slot
  at::Tensor colour;   // [N, K] int64, world::kNumColours = empty
  at::Tensor size;     // [N, K] int64, world::kNumSizes = empty
  at::Tensor box;      // [N, K, 4] float: x0, y0, x1, y1 as fractions of the picture
  at::Tensor present;  // [N, K] float, 1 = an object
  at::Tensor bg_from, bg_to, bg_gradient;  // [N] int64
  at::Tensor has;      // [N] float, 1 = this row has a layout (0: unconditional, edits)
  bool defined() const { return has.defined(); }
};
// One row per entry; nullptr = no layout for that row.
LayoutInput layout_input(const std::vector<const world::Scene*>& scenes);

class UNetImpl;             // defined in pictor_mini.cpp
class LayoutConditioningImpl;

class PictorMiniImpl : public torch::nn::Module {
 public:
  explicit PictorMiniImpl(const PictorMiniConfig& c);
  // Encodes prompts once per request. ids/pad: [N, L] → context [N, L, D], pooled [N, D]
  std::pair<at::Tensor, at::Tensor> encode_text(const at::Tensor& ids, const at::Tensor& pad);
  // x: [N, 8, S, S] (see file comment), t: [N] in [0, 1] (1 = pure noise),
  // context: [N, L, D], pooled: [N, D], pad: [N, L], layout: N rows (required when
  // config().layout_mode > 0, ignored otherwise) → velocity [N, 3, S, S]
  at::Tensor forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& context,
                     const at::Tensor& pooled, const at::Tensor& pad, const LayoutInput& layout = {});
  const PictorMiniConfig& config() const { return config_; }
  // The layout planner (layout_mode > 0), else nullptr.
  LayoutPlanner& planner() { return planner_; }
  bool has_planner() const { return !planner_.is_empty(); }
  // Inference only: token projections run in bf16 (weights copied once; call again after the
  // weights change). fp32 activations stay fp32 everywhere else.
  void set_bf16_matmuls(bool on);
  // Training: token projections multiply in bf16 (forward and backward) on fp32 master weights.
  void set_bf16_training_matmuls(bool on);

 private:
  PictorMiniConfig config_;
  TextEncoder text_{nullptr};
  std::shared_ptr<UNetImpl> unet_;
  std::shared_ptr<LayoutConditioningImpl> layout_;
  LayoutPlanner planner_{nullptr};
};
TORCH_MODULE(PictorMini);

}  // namespace pictor::engine
