#pragma once
// Training batches drawn from the scenes world: sample a scene (held-out pairs excluded), render
// it, and caption a random subset of its facts. The stream depends only on (seed, step), so a
// resumed run sees the same data as an uninterrupted one.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/tokenizers/word_tokenizer.h"
#include "world/scene.h"

namespace pictor::engine {

struct SceneBatch {
  at::Tensor images;      // [B, 3, S, S] float in [−1, 1]: the image to generate
  at::Tensor sources;     // [B, 3, S, S] the image an edit starts from (zeros for text-to-image)
  at::Tensor masks;       // [B, 1, S, S] 1 = may change (all ones unless inpainting)
  at::Tensor has_source;  // [B] 1 for edit examples, 0 for text-to-image
  at::Tensor ids;     // [B, L] int64 token ids (caption; [start] only for dropped captions)
  std::vector<std::string> captions;
  // Per row: the scene a captioned text-to-image example shows (what a layout-grounded model is
  // given while training; the planner supplies it at inference); nullopt for dropped captions
  // and edits.
  std::vector<std::optional<world::Scene>> layouts;
};

// Text-only examples for the layout planner: a caption and the scene-token sequence of its scene.
struct PlannerBatch {
  at::Tensor ids;      // [B, L] int64 caption tokens
  at::Tensor targets;  // [B, world::kMaxSceneTokens] int64 scene tokens, BOS … EOS, 0-padded
};
// relation_probability: make_spec's chance of a relation attempt (its own 0.45 by default).
PlannerBatch make_planner_batch(uint64_t seed, int64_t step, int batch_size, const WordTokenizer& tokenizer,
                                double relation_probability = 0.45);

struct SceneBatchOptions {
  int batch_size = 32;
  int image_size = 64;
  double caption_dropout = 0.1;  // unconditional examples, for classifier-free guidance
  // Fraction of examples that are edits from world::sample_edit (instruction edits and masked
  // inpainting; image-to-image needs no training: it starts from the noised input image).
  double edit_fraction = 0.0;
};

SceneBatch make_scene_batch(uint64_t seed, int64_t step, const SceneBatchOptions& opts,
                            const WordTokenizer& tokenizer);

}  // namespace pictor::engine
