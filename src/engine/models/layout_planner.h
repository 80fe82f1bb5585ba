#pragma once
// pictor-mini's layout planner: reads a caption and writes a scene layout in the scene-token
// language (world/scene_tokens.h): background, then each object's kind, colour, size and centre.
// An encoder (pre-LN transformer over the caption's words) and a small causal decoder that
// cross-attends to it; trained on its own on (caption, scene) pairs of the world, text only,
// before the denoiser. Sampling draws each token from the model's distribution restricted to what
// the grammar allows, so that what a caption leaves open (an unstated colour, the exact place)
// still varies with the seed, while what it states is kept. Checkpoint keys: "planner.…".
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <vector>

#include "core/rng.h"
#include "world/scene.h"

namespace pictor::engine {

struct PictorMiniConfig;

class LayoutPlannerImpl : public torch::nn::Module {
 public:
  explicit LayoutPlannerImpl(const PictorMiniConfig& c);
  // ids/pad: [N, L] caption → memory [N, L, P]
  at::Tensor encode(const at::Tensor& ids);
  // Teacher forcing. memory: [N, L, P], pad: [N, L], tokens: [N, T] scene tokens (BOS first,
  // padded with 0) → logits [N, T, kSceneTokenVocab] for the token after each position.
  at::Tensor decode(const at::Tensor& memory, const at::Tensor& pad, const at::Tensor& tokens);
  // Cross-entropy of the next token over non-padding targets, and the share predicted exactly.
  // ids: [N, L], targets: [N, T] (BOS … EOS, 0-padded) → {loss, accuracy}
  std::pair<at::Tensor, double> loss(const at::Tensor& ids, const at::Tensor& targets);
  // One layout per caption row of ids [N, L] (pad = id 0), drawn with rngs[i]. Every token is
  // drawn at temperature 1 but an object's centre (X and Y bins), drawn at position_temperature:
  // below 1 it keeps to the places the planner is surest of while what a caption leaves open still
  // varies. With candidates k > 1, k drafts per row and one kept by importance weight (the
  // overlap rule's leftover shares; see the .cpp).
  std::vector<world::Scene> sample(const at::Tensor& ids, std::vector<Rng>& rngs, double position_temperature = 1.0,
                                   int candidates = 1);

 private:
  // A sampled token sequence (BOS … EOS) and the log of the product, over its position tokens, of
  // the probability share the overlap rule left allowed.
  struct Draft {
    std::vector<int> tokens;
    double log_weight = 0;
  };
  std::vector<Draft> draw(const at::Tensor& ids, std::vector<Rng>& rngs, double position_temperature);

  torch::nn::Embedding word_embedding_{nullptr}, token_embedding_{nullptr};
  at::Tensor word_position_, token_position_;
  // [layers, heads, 2 * kMaxOffset + 1] (config planner_relative_positions), else undefined.
  at::Tensor relative_bias_;
  static constexpr int64_t kMaxOffset = 8;
  torch::nn::ModuleList encoder_, decoder_;
  torch::nn::LayerNorm encoder_norm_{nullptr}, decoder_norm_{nullptr};
  torch::nn::Linear head_{nullptr};
};
TORCH_MODULE(LayoutPlanner);

}  // namespace pictor::engine
